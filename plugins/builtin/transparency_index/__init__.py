"""Municipal transparency index: publication tests in six areas, yes / partial / no.

Structured like Transparency International Spain's ITA, with Usina's own indicators; the
definition is versioned data (``definition-<version>.json``), scored by the generic weighted
scoring (each area weighted by its number of indicators, so the overall score is the share of
all indicators met).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from usina import (
    InstrumentSpec,
    PluginInfo,
    answers_from,
    dimensions_from,
    hookimpl,
    load_definition,
    message,
    msg,
    weighted_scores,
)

DEFINITION = Path(__file__).parent / "definition-2025.1.json"


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="transparency_index",
        title=msg(
            "Municipal transparency index",
            "Índice de transparencia municipal",
            "Índice de transparência municipal",
        ),
        description=msg(
            "A diagnostic of what the municipality publishes, in six areas.",
            "Un diagnóstico de lo que publica el municipio, en seis áreas.",
            "Um diagnóstico do que o município publica, em seis áreas.",
        ),
        version="2025.1",
    )


def instrument() -> InstrumentSpec:
    data = load_definition(DEFINITION)
    return InstrumentSpec(
        name=data["name"],
        version=data["version"],
        title=message(data["title"]),
        description=message(data["description"]),
        source=message(data["source"]),
        answers=answers_from(data["answers"]),
        dimensions=dimensions_from(data["dimensions"]),
        gap_below=float(data["gap_below"]),
        score=weighted_scores,
    )


@hookimpl
def register_instruments() -> Sequence[InstrumentSpec]:
    return [instrument()]
