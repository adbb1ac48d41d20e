"""How progress rolls up: milestone -> commitment -> plan (documented in docs/progress.md).

- A milestone's progress is the percent of its latest report (0 before any report).
- A commitment's progress is the weighted mean of its milestones' progress, cancelled
  milestones left out. If every remaining weight is zero, the plain mean. No milestone: 0.
- A plan's progress is the mean of its commitments' progress (each commitment counts once,
  as OGP counts commitments).
- A commitment's completion level follows IRM's scale, from its progress rounded to 2 decimals:
  0 NOT_STARTED, under 50 LIMITED, 50 to under 100 SUBSTANTIAL, 100 COMPLETE.

The pure functions here are the only place these rules live; the batched queries below feed
them for any number of commitments or plans in one SQL statement.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select
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
    if not active:
        return 0.0
    total_weight = sum(m.weight for m in active)
    if total_weight > 0:
        value = sum(m.weight * m.progress for m in active) / total_weight
    else:
        value = sum(m.progress for m in active) / len(active)
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


#: ``(plan_id, commitment_id, weight, progress, status)`` of the plans ``plans``: built once.
_PLAN_ROWS = (
    select(
        Commitment.plan_id,
        Commitment.id,
        Milestone.weight,
        Milestone.progress,
        Milestone.status,
    )
    .outerjoin(
        Milestone,
        and_(
            Milestone.tenant_id == Commitment.tenant_id,
            Milestone.commitment_id == Commitment.id,
        ),
    )
    .where(Commitment.plan_id.in_(bindparam("plans", expanding=True)))
)


def plans_figures(rows: Iterable[Any], plan_ids: Sequence[uuid.UUID]) -> Figures:
    """Each plan's progress and its commitments', from ``(plan_id, commitment_id, weight,
    progress, status)`` rows (``status`` is null for a commitment without milestones)."""
    per_plan: dict[uuid.UUID, dict[uuid.UUID, list[MilestoneFigure]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for plan_id, commitment_id, weight, progress, status in rows:
        milestones = per_plan[plan_id][commitment_id]
        if status is not None:
            milestones.append(MilestoneFigure(weight, progress, status))
    commitments = {
        commitment_id: commitment_progress(milestones)
        for by_commitment in per_plan.values()
        for commitment_id, milestones in by_commitment.items()
    }
    plans = {
        pid: plan_progress([commitments[c] for c in per_plan.get(pid, {})]) for pid in plan_ids
    }
    return Figures(plans=plans, commitments=commitments)
