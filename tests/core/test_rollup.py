"""Progress arithmetic, checked against hand-computed figures."""

from __future__ import annotations

import pytest

from core.commitments.models import Commitment
from core.enums import CompletionLevel
from core.enums import MilestoneStatus as S
from core.identity.principal import SYSTEM
from core.milestones.models import Milestone
from core.plans import service as plans
from core.progress.rollup import (
    MilestoneFigure,
    commitment_progress,
    completion_level,
    figures_of_plans,
    plan_progress,
)
from tenants.context import TenantBinding
from tenants.database import Database
from tests.factories import END, START, new_municipality


def m(weight: float, progress: float, status: S = S.IN_PROGRESS) -> MilestoneFigure:
    return MilestoneFigure(weight, progress, status)


CASES = [
    pytest.param(*case)
    for case in [
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
    ]
]


@pytest.mark.parametrize(("milestones", "expected"), CASES)
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


async def test_the_sums_the_database_makes_give_the_same_figures(db: Database) -> None:
    """A plan's figures are summed in SQL per commitment: every case above, as milestones of
    one commitment each in one plan, gives the same progress on both databases."""
    cases = [c.values[0] for c in CASES]
    municipality = await new_municipality(db, "rollup")
    binding = TenantBinding(municipality.id, municipality.slug, sees_drafts=True)
    async with db.session(binding) as session:
        plan = await plans.create(
            session, SYSTEM, plans.PlanData(title="Sumas", start_date=START, end_date=END)
        )
        ids = []
        for number, milestones in enumerate(cases):
            commitment = Commitment(
                plan_id=plan.id,
                code=str(number),
                title=f"C{number}",
                start_date=START,
                end_date=END,
            )
            session.add(commitment)
            await session.flush()
            ids.append(commitment.id)
            for k, figure in enumerate(milestones):
                session.add(
                    Milestone(
                        plan_id=plan.id,
                        commitment_id=commitment.id,
                        title=f"H{k}",
                        start_date=START,
                        end_date=END,
                        weight=figure.weight,
                        progress=figure.progress,
                        status=figure.status,
                    )
                )
        await session.flush()
        figures = await figures_of_plans(session, [plan.id])
    assert [figures.commitments[i] for i in ids] == [c.values[1] for c in CASES]
    assert figures.plans[plan.id] == plan_progress([c.values[1] for c in CASES])
