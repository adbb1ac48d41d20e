"""The generic scoring most instruments use, and loading versioned instrument data.

``weighted_scores``: a dimension scores 100 x sum(weight x answer value) / sum(weight) over all
its indicators, unanswered ones counting as 0 (an unpublished item is not met); a dimension
whose weights are all zero has no score. The overall score is the mean of the dimension scores
weighted by dimension weight, over dimensions that have a score (``None`` if none has).
Scores are rounded to 2 decimals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.i18n import Message
from plugins.records import AnswerOption, Dimension, Indicator, InstrumentSpec, Scores


def weighted_scores(spec: InstrumentSpec, answers: Mapping[str, str]) -> Scores:
    values = {a.code: a.value for a in spec.answers}
    dimensions: dict[str, float | None] = {}
    for dimension in spec.dimensions:
        total = sum(i.weight for i in dimension.indicators)
        if total <= 0:
            dimensions[dimension.code] = None
            continue
        earned = sum(
            i.weight * values.get(answers.get(i.code, ""), 0.0) for i in dimension.indicators
        )
        dimensions[dimension.code] = round(100 * earned / total, 2)
    scored = [(d.weight, dimensions[d.code]) for d in spec.dimensions]
    weight = sum(w for w, score in scored if score is not None)
    overall = (
        round(sum(w * score for w, score in scored if score is not None) / weight, 2)
        if weight > 0
        else None
    )
    return Scores(overall=overall, dimensions=dimensions)


def message(data: Mapping[str, str]) -> Message:
    """A text from its ``{"en": ..., "es": ..., "pt": ...}`` data."""
    return Message(en=data["en"], es=data["es"], pt=data["pt"])


def load_definition(path: Path) -> dict[str, Any]:
    """An instrument's versioned data: a JSON file shipped in the plugin package."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def answers_from(data: list[dict[str, Any]]) -> tuple[AnswerOption, ...]:
    return tuple(AnswerOption(a["code"], message(a["label"]), float(a["value"])) for a in data)


def dimensions_from(data: list[dict[str, Any]]) -> tuple[Dimension, ...]:
    return tuple(
        Dimension(
            code=d["code"],
            title=message(d["title"]),
            description=message(d["description"]) if "description" in d else None,
            weight=float(d.get("weight", len(d["indicators"]))),
            indicators=tuple(
                Indicator(
                    code=i["code"],
                    title=message(i["title"]),
                    guidance=message(i.get("guidance", {"en": "", "es": "", "pt": ""})),
                    weight=float(i.get("weight", 1.0)),
                )
                for i in d["indicators"]
            ),
        )
        for d in data
    )
