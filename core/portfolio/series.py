"""A municipality over time: its validated diagnostic scores, and each plan's progress by month.

Computed from the facts (validated assessments; the progress reports, the only record of when
a milestone moved) through the caller's session, so what it shows is what the caller may see:
the public gets the series of published plans and validated diagnostics, the municipality's
staff and the consultancy's those of every plan. A plan's progress at the end of a month is
the rollup (``core/progress/rollup.py``) of each milestone's latest report up to then.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.commitments.models import Commitment
from core.diagnostics.models import Assessment
from core.enums import ActionPlanStatus, AssessmentStatus, MilestoneStatus
from core.milestones.models import Milestone
from core.plans.models import ActionPlan
from core.progress import rollup
from core.progress.models import ProgressReport


@dataclass(frozen=True)
class Score:
    assessed_on: date
    instrument: str
    title: str
    score: float


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    progress: float


@dataclass(frozen=True)
class PlanSeries:
    plan: ActionPlan
    months: list[Month]


async def diagnostic_scores(session: AsyncSession) -> list[Score]:
    """Validated diagnostics with a score, oldest first (the first of an instrument is its
    baseline)."""
    found = await session.execute(
        select(Assessment)
        .where(
            Assessment.status == AssessmentStatus.VALIDATED,
            Assessment.overall_score.is_not(None),
        )
        .order_by(Assessment.assessed_on, Assessment.validated_at, Assessment.id)
    )
    return [
        Score(a.assessed_on, a.instrument, a.title, float(a.overall_score or 0))
        for a in found.scalars()
    ]


def _months(start: date, end: date) -> list[tuple[str, datetime]]:
    """``(YYYY-MM, the instant the month ends)`` for every month from ``start`` to ``end``."""
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        following = (year + month // 12, month % 12 + 1)
        out.append((f"{year:04d}-{month:02d}", datetime(*following, 1, tzinfo=UTC)))
        year, month = following
    return out


async def plan_progress(
    session: AsyncSession, today: date, plan_ids: list[uuid.UUID] | None = None
) -> list[PlanSeries]:
    """Each plan's progress at the end of every month from its start to today (or its end),
    for the plans being or having been implemented (published, in implementation, closed)."""
    statement = select(ActionPlan).where(
        ActionPlan.status.in_(
            [ActionPlanStatus.PUBLISHED, ActionPlanStatus.IMPLEMENTATION, ActionPlanStatus.CLOSED]
        )
    )
    if plan_ids is not None:
        statement = statement.where(ActionPlan.id.in_(plan_ids))
    plans = list((await session.execute(statement.order_by(ActionPlan.start_date))).scalars())
    if not plans:
        return []
    ids = [plan.id for plan in plans]
    commitments = (
        await session.execute(
            select(Commitment.plan_id, Commitment.id).where(Commitment.plan_id.in_(ids))
        )
    ).all()
    milestones = (
        await session.execute(
            select(
                Milestone.plan_id, Milestone.commitment_id, Milestone.id, Milestone.weight,
                Milestone.status,
            ).where(Milestone.plan_id.in_(ids))
        )
    ).all()  # fmt: skip
    reports = (
        await session.execute(
            select(
                ProgressReport.milestone_id, ProgressReport.reported_at, ProgressReport.percent,
                ProgressReport.status,
            )
            .where(ProgressReport.plan_id.in_(ids))
            .order_by(ProgressReport.reported_at)
        )
    ).all()  # fmt: skip
    by_milestone: dict[uuid.UUID, list[tuple[datetime, float, MilestoneStatus]]] = defaultdict(list)
    for report in reports:
        by_milestone[report.milestone_id].append(
            (report.reported_at, report.percent, report.status)
        )
    out = []
    for plan in plans:
        plan_commitments = [c.id for c in commitments if c.plan_id == plan.id]
        plan_milestones = [m for m in milestones if m.plan_id == plan.id]
        months = []
        for label, ends in _months(plan.start_date, min(plan.end_date, today)):
            figures: dict[uuid.UUID, list[rollup.MilestoneFigure]] = {
                c: [] for c in plan_commitments
            }
            for milestone in plan_milestones:
                percent, status = 0.0, MilestoneStatus.NOT_STARTED
                for reported_at, value, reported_status in by_milestone.get(milestone.id, ()):
                    if reported_at >= ends:
                        break
                    percent, status = value, reported_status
                if milestone.status is MilestoneStatus.CANCELLED:
                    status = MilestoneStatus.CANCELLED  # cancelled is not a report's doing
                figures.setdefault(milestone.commitment_id, []).append(
                    rollup.MilestoneFigure(milestone.weight, percent, status)
                )
            progress = rollup.plan_progress(
                [rollup.commitment_progress(f) for f in figures.values()]
            )
            months.append(Month(label, progress))
        out.append(PlanSeries(plan, months))
    return out
