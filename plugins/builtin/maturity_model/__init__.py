"""Open Government maturity self-assessment, in the style of Lee and Kwak's model.

Five sequential levels; each scores 0-100 by the generic weighted scoring. The rating is the
highest level that, with every level below it, scores at least ``level_threshold`` (from the
versioned definition); below level 1's threshold the rating is ``BELOW_LEVEL_1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from usina import (
    InstrumentSpec,
    PluginInfo,
    Rating,
    Scores,
    answers_from,
    dimensions_from,
    hookimpl,
    load_definition,
    message,
    msg,
    weighted_scores,
)

DEFINITION = Path(__file__).parent / "definition-2025.1.json"
BELOW_FIRST = Rating(
    "BELOW_LEVEL_1", msg("Below level 1", "Por debajo del nivel 1", "Abaixo do nível 1")
)


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="maturity_model",
        title=msg(
            "Open Government maturity model",
            "Modelo de madurez de Gobierno Abierto",
            "Modelo de maturidade de Governo Aberto",
        ),
        description=msg(
            "A self-assessment of how far open government has gone, in five levels.",
            "Una autoevaluación de cuánto ha avanzado el gobierno abierto, en cinco niveles.",
            "Uma autoavaliação de quanto o governo aberto avançou, em cinco níveis.",
        ),
        version="2025.1",
    )


def maturity_scores(threshold: float, spec: InstrumentSpec, answers: Mapping[str, str]) -> Scores:
    scores = weighted_scores(spec, answers)
    rating = BELOW_FIRST
    for level in spec.dimensions:  # sequential: stop at the first level not reached
        score = scores.dimensions[level.code]
        if score is None or score < threshold:
            break
        rating = Rating(level.code, level.title)
    return Scores(overall=scores.overall, dimensions=scores.dimensions, rating=rating)


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
        score=partial(maturity_scores, float(data["level_threshold"])),
    )


@hookimpl
def register_instruments() -> Sequence[InstrumentSpec]:
    return [instrument()]
