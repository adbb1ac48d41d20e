"""How progress rolls up: milestone -> commitment -> plan (documented in docs/progress.md).

- A milestone's progress is the percent of its latest report (0 before any report).
- A commitment's progress is the weighted mean of its milestones' progress, cancelled
  milestones left out. If every remaining weight is zero, the plain mean. No milestone: 0.
- A plan's progress is the mean of its commitments' progress (each commitment counts once,
  as OGP counts commitments).
- A commitment's completion level follows IRM's scale, from its progress rounded to 2 decimals:
  0 NOT_STARTED, under 50 LIMITED, 50 to under 100 SUBSTANTIAL, 100 COMPLETE.

The pure functions here are the only place these rules live; the batched queries below feed
them for any number of commitments or plans in one SQL statement. A plan's figures are summed
in SQL per commitment (``summed_figures``): a plan of 200 commitments sends 200 rows, not a
row per milestone.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.commitments.models import Commitment
from core.enums import CompletionLevel, MilestoneStatus
from core.milestones.models import Milestone

LIMITED_FROM = 0.0  # strictly above
SUBSTANTIAL_FROM = 50.0
COMPLETE_AT = 100.0


@dataclass(frozen=True, slots=True)
class MilestoneFigure:
    weight: float
    progress: float
    status: MilestoneStatus


def commitment_progress(milestones: Iterable[MilestoneFigure]) -> float:
    active = [m for m in milestones if m.status is not MilestoneStatus.CANCELLED]
    return progress_from_sums(
        len(active),
        sum(m.weight for m in active),
        sum(m.weight * m.progress for m in active),
        sum(m.progress for m in active),
    )


def progress_from_sums(active: int, weight: float, weighted: float, plain: float) -> float:
    """A commitment's progress from its active (not cancelled) milestones' count, total
    weight, total of weight x progress and total progress: the weighted mean, the plain mean
    when every weight is zero, 0 without milestones."""
    if not active:
        return 0.0
    value = weighted / weight if weight > 0 else plain / active
    return round(value, 2)


def plan_progress(commitment_progresses: Sequence[float]) -> float:
    if not commitment_progresses:
        return 0.0
    return round(sum(commitment_progresses) / len(commitment_progresses), 2)


def completion_level(progress: float) -> CompletionLevel:
    if progress >= COMPLETE_AT:
        return CompletionLevel.COMPLETE
    if progress >= SUBSTANTIAL_FROM:
        return CompletionLevel.SUBSTANTIAL
    if progress > LIMITED_FROM:
        return CompletionLevel.LIMITED
    return CompletionLevel.NOT_STARTED


async def progress_by_commitment(
    session: AsyncSession, commitment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """Every commitment's progress, in one statement."""
    rows = await session.execute(
        select(
            Milestone.commitment_id, Milestone.weight, Milestone.progress, Milestone.status
        ).where(Milestone.commitment_id.in_(commitment_ids))
    )
    return commitments_progress(rows, commitment_ids)


def commitments_progress(
    rows: Iterable[Any], commitment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """Each commitment's progress from ``(commitment_id, weight, progress, status)`` rows."""
    figures: dict[uuid.UUID, list[MilestoneFigure]] = defaultdict(list)
    for commitment_id, weight, progress, status in rows:
        figures[commitment_id].append(MilestoneFigure(weight, progress, status))
    return {cid: commitment_progress(figures.get(cid, ())) for cid in commitment_ids}


@dataclass(frozen=True, slots=True)
class Figures:
    """The progress of some plans and of each of their commitments."""

    plans: dict[uuid.UUID, float]
    commitments: dict[uuid.UUID, float]


async def progress_by_plan(
    session: AsyncSession, plan_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """Every plan's progress, in one statement (commitments outer-joined to milestones)."""
    return (await figures_of_plans(session, plan_ids)).plans


async def figures_of_plans(session: AsyncSession, plan_ids: Sequence[uuid.UUID]) -> Figures:
    """The progress of every plan and of each of its commitments, in one statement."""
    rows = await session.execute(_PLAN_ROWS, {"plans": list(plan_ids)})
    return plans_figures(rows, plan_ids)


def summed_figures(
    commitments: Any,
    milestones: Any,
    plans: Any,
    *,
    commitment_criteria: Sequence[Any] = (),
    milestone_criteria: Sequence[Any] = (),
) -> Select[Any]:
    """``(plan_id, commitment_id, active, weight, weighted, plain)`` per commitment of the
    plans ``plans`` (a bind parameter): the sums ``progress_from_sums`` takes. ``commitments``
    and ``milestones`` are mapped classes (the session adds its criteria) or tables' ``.c``
    with their ``*_criteria``.

    The milestones are summed per commitment first (a materialized CTE on PostgreSQL), then
    joined to the commitments: a plan's commitments and milestones are each read once,
    whatever the planner knows of the tables (joined the other way round, a planner without
    statistics scanned every milestone of the municipality once per commitment)."""
    active = milestones.status != MilestoneStatus.CANCELLED

    def total(value: Any) -> Any:
        return func.coalesce(func.sum(case((active, value), else_=0.0)), 0.0)

    sums = (
        select(
            milestones.tenant_id.label("tenant_id"),
            milestones.commitment_id.label("commitment_id"),
            func.count(case((active, 1))).label("active"),
            total(milestones.weight).label("weight"),
            total(milestones.weight * milestones.progress).label("weighted"),
            total(milestones.progress).label("plain"),
        )
        .where(milestones.plan_id.in_(plans), *milestone_criteria)
        .group_by(milestones.tenant_id, milestones.commitment_id)
        # Summed once, whatever the planner believes of the tables' sizes.
        .cte("sums")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        select(
            commitments.plan_id,
            commitments.id,
            func.coalesce(sums.c.active, 0).label("active"),
            func.coalesce(sums.c.weight, 0.0).label("weight"),
            func.coalesce(sums.c.weighted, 0.0).label("weighted"),
            func.coalesce(sums.c.plain, 0.0).label("plain"),
        )
        .outerjoin(
            sums,
            and_(sums.c.tenant_id == commitments.tenant_id, sums.c.commitment_id == commitments.id),
        )
        .where(commitments.plan_id.in_(plans), *commitment_criteria)
    )


#: The summed figures of the plans ``plans``: built once.
_PLAN_ROWS = summed_figures(Commitment, Milestone, bindparam("plans", expanding=True))


def plans_figures(rows: Iterable[Any], plan_ids: Sequence[uuid.UUID]) -> Figures:
    """Each plan's progress and its commitments', from ``summed_figures``' rows."""
    per_plan: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    commitments: dict[uuid.UUID, float] = {}
    for plan_id, commitment_id, active, weight, weighted, plain in rows:
        per_plan[plan_id].append(commitment_id)
        commitments[commitment_id] = progress_from_sums(
            int(active), float(weight), float(weighted), float(plain)
        )
    plans = {
        pid: plan_progress([commitments[c] for c in per_plan.get(pid, [])]) for pid in plan_ids
    }
    return Figures(plans=plans, commitments=commitments)
