"""Progress arithmetic, checked against hand-computed figures."""

from __future__ import annotations

import pytest

from core.enums import CompletionLevel
from core.enums import MilestoneStatus as S
from core.progress.rollup import (
    MilestoneFigure,
    commitment_progress,
    completion_level,
    plan_progress,
)


def m(weight: float, progress: float, status: S = S.IN_PROGRESS) -> MilestoneFigure:
    return MilestoneFigure(weight, progress, status)


@pytest.mark.parametrize(
    ("milestones", "expected"),
    [
        ([], 0.0),  # no milestone: not started
        ([m(1, 100, S.COMPLETED)], 100.0),
        ([m(1, 100, S.COMPLETED), m(2, 60), m(1, 0, S.NOT_STARTED)], 55.0),  # (100 + 120 + 0) / 4
        ([m(3, 20), m(1, 100, S.COMPLETED)], 40.0),  # (60 + 100) / 4
        ([m(1, 50), m(1, 10, S.CANCELLED)], 50.0),  # cancelled milestones do not count
        ([m(1, 10, S.CANCELLED)], 0.0),  # nothing left to count
        ([m(0, 30), m(0, 90)], 60.0),  # every weight zero: plain mean
        ([m(0, 30), m(2, 90)], 90.0),  # a zero weight counts for nothing
        ([m(0.1, 100, S.COMPLETED), m(0.2, 100, S.COMPLETED)], 100.0),  # float noise rounded away
        ([m(1, 33.333), m(2, 0)], 11.11),  # rounded to 2 decimals
    ],
)
def test_commitment_progress(milestones: list[MilestoneFigure], expected: float) -> None:
    assert commitment_progress(milestones) == expected


def test_plan_progress_is_the_mean_of_commitments() -> None:
    assert plan_progress([]) == 0.0
    assert plan_progress([55.0, 100.0, 0.0]) == 51.67


@pytest.mark.parametrize(
    ("progress", "level"),
    [
        (0, CompletionLevel.NOT_STARTED),
        (0.01, CompletionLevel.LIMITED),
        (49.99, CompletionLevel.LIMITED),
        (50, CompletionLevel.SUBSTANTIAL),
        (99.99, CompletionLevel.SUBSTANTIAL),
        (100, CompletionLevel.COMPLETE),
    ],
)
def test_completion_level_thresholds(progress: float, level: CompletionLevel) -> None:
    assert completion_level(progress) is level
