"""Instrument scores against hand-computed figures, edge cases included."""

from __future__ import annotations

import pytest

from core.i18n import msg
from plugins.builtin import maturity_model, transparency_index
from plugins.records import AnswerOption, Dimension, Indicator, InstrumentSpec
from plugins.scoring import weighted_scores

T = msg("t", "t", "t")


def spec(*dimensions: Dimension) -> InstrumentSpec:
    return InstrumentSpec(
        name="s",
        version="1",
        title=T,
        description=T,
        answers=(AnswerOption("Y", T, 1.0), AnswerOption("P", T, 0.5), AnswerOption("N", T, 0.0)),
        dimensions=dimensions,
        score=weighted_scores,
    )


def dim(code: str, weight: float, *weights: float) -> Dimension:
    return Dimension(
        code, T, tuple(Indicator(f"{code}{i}", T, T, w) for i, w in enumerate(weights)), weight
    )


def test_weighted_scores_by_hand() -> None:
    s = spec(dim("A", 1, 1, 1, 2), dim("B", 3, 1, 1))
    scores = weighted_scores(s, {"A0": "Y", "A1": "P", "A2": "N", "B0": "Y", "B1": "Y"})
    # A: (1 + 0.5 + 0) / 4 = 37.5; B: 100; overall (1*37.5 + 3*100) / 4 = 84.375
    assert scores.dimensions == {"A": 37.5, "B": 100.0}
    assert scores.overall == 84.38


def test_unanswered_indicators_count_as_not_met() -> None:
    s = spec(dim("A", 1, 1, 1, 1, 1))
    assert weighted_scores(s, {"A0": "Y"}).dimensions["A"] == 25.0
    assert weighted_scores(s, {}).overall == 0.0


def test_zero_weights() -> None:
    s = spec(dim("A", 1, 0, 0), dim("B", 1, 1), dim("C", 0, 1))
    scores = weighted_scores(s, {"A0": "Y", "B0": "P", "C0": "Y"})
    assert scores.dimensions == {"A": None, "B": 50.0, "C": 100.0}  # A has nothing to weigh
    assert scores.overall == 50.0  # A has no score, C weighs nothing
    assert weighted_scores(spec(dim("A", 1, 0)), {"A0": "Y"}).overall is None


def test_an_unknown_answer_code_scores_nothing() -> None:
    assert weighted_scores(spec(dim("A", 1, 1)), {"A0": "MAYBE"}).overall == 0.0


def test_transparency_index_by_hand() -> None:
    index = transparency_index.instrument()
    counts = {d.code: len(d.indicators) for d in index.dimensions}
    assert counts == {"A": 6, "B": 5, "C": 5, "D": 5, "E": 4, "F": 4}
    answers = {
        "A1": "YES",
        "A2": "YES",
        "A3": "PARTIAL",
        "A4": "DECLARED_NOT_APPLICABLE",
        "A5": "NO",
        "F1": "YES",
        "F2": "PARTIAL",
    }
    scores = index.score(index, answers)
    # A: (1 + 1 + 0.5 + 1 + 0) / 6 = 58.33; F: 1.5 / 4 = 37.5; overall: 5 of 29 indicators
    assert scores.dimensions["A"] == 58.33
    assert scores.dimensions["F"] == 37.5
    assert scores.dimensions["C"] == 0.0
    assert scores.overall == round(100 * 5 / 29, 2) == 17.24
    every_indicator_met = {code: "YES" for code in index.indicators_by_code}
    assert index.score(index, every_indicator_met).overall == 100.0


@pytest.mark.parametrize(
    ("answers", "rating", "overall"),
    [
        ({}, "BELOW_LEVEL_1", 0.0),
        ({"L1.1": "IN_PLACE", "L1.2": "IN_PLACE", "L1.3": "PARTLY"}, "L1", 16.67),  # L1 = 83.33
        ({"L1.1": "IN_PLACE", "L1.2": "PARTLY", "L1.3": "PARTLY"}, "BELOW_LEVEL_1", 13.33),  # 66.67
        # L1 100, L2 75 (3 of 4), L3 100: L3 counts only once L2 is reached, and it is
        (
            {
                "L1.1": "IN_PLACE",
                "L1.2": "IN_PLACE",
                "L1.3": "IN_PLACE",
                "L2.1": "IN_PLACE",
                "L2.2": "IN_PLACE",
                "L2.3": "IN_PLACE",
                "L3.1": "IN_PLACE",
                "L3.2": "IN_PLACE",
                "L3.3": "IN_PLACE",
            },
            "L3",
            55.0,
        ),
        # a perfect level 4 does not count while level 2 is not reached
        (
            {
                "L1.1": "IN_PLACE",
                "L1.2": "IN_PLACE",
                "L1.3": "IN_PLACE",
                "L4.1": "IN_PLACE",
                "L4.2": "IN_PLACE",
                "L4.3": "IN_PLACE",
            },
            "L1",
            40.0,
        ),
    ],
)
def test_maturity_levels_are_sequential(
    answers: dict[str, str], rating: str, overall: float
) -> None:
    model = maturity_model.instrument()
    scores = model.score(model, answers)
    assert scores.rating is not None and scores.rating.code == rating
    assert scores.overall == overall


def test_instrument_texts_are_bilingual() -> None:
    for instrument in (transparency_index.instrument(), maturity_model.instrument()):
        texts = [instrument.title, instrument.description]
        for d in instrument.dimensions:
            texts.append(d.title)
            texts += [i.title for i in d.indicators]
        texts += [a.label for a in instrument.answers]
        assert all((t.en.strip() and t.es.strip() and t.en != t.es) or t.en == "No" for t in texts)
