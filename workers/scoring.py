"""``scores.recompute``: re-derive draft evaluations and re-score open assessments after their
inputs changed (queued by the unit of work after a progress report or a KPI value)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select

from core.commitments.models import Commitment
from core.diagnostics import service as diagnostics
from core.enums import EvaluationStatus
from core.evaluation import service as evaluations
from core.evaluation.models import Evaluation, Rating
from core.jobs.kinds import RECOMPUTE
from core.milestones.models import Milestone
from core.plans.models import ActionPlan
from core.progress import rollup
from plugins.derivation import deriver
from plugins.manager import PluginRegistry
from plugins.records import JobContext, JobSpec
from tenants import reads


def recompute(registry: PluginRegistry) -> JobSpec:
    async def run(ctx: JobContext) -> dict[str, Any]:
        plan_id = ctx.uuid_arg("plan_id")

        def derive_for(framework: str) -> evaluations.Derive | None:
            found = registry.framework(framework)
            return deriver(found[1]) if found else None

        def instrument_for(name: str) -> Any:
            found = registry.instrument(name)
            return found[1] if found else None

        read = _reads(reads.shape_of(reads.binding_of(ctx.session)))
        session = ctx.session
        if plan_id:
            ids = [r.id for r in await reads.fetch(session, read.plan, {"plan": plan_id})]
            drafts = await reads.fetch(session, read.drafts_of_plan, {"plan": plan_id})
        else:
            ids = [r.id for r in await reads.fetch(session, read.plans)]
            drafts = await reads.fetch(session, read.drafts)
        # One statement gives the plans' progress and their commitments', which the drafts rate.
        figures = (
            rollup.plans_figures(await reads.fetch(session, read.figures, {"plans": ids}), ids)
            if ids
            else None
        )

        async def ratings_of(evaluation_ids: list[uuid.UUID]) -> Sequence[Any]:
            return await reads.fetch(session, read.ratings, {"evaluations": evaluation_ids})

        rederived = await evaluations.rederive(session, drafts, ratings_of, derive_for, figures)
        rescored = 0 if plan_id else await diagnostics.rescore_open(ctx.session, instrument_for)
        progress = figures.plans if figures is not None else {}
        return {
            "evaluationsRederived": rederived,
            "assessmentsRescored": rescored,
            "planProgress": {str(k): round(v, 2) for k, v in progress.items()},
        }

    return JobSpec(name=RECOMPUTE, run=run, max_attempts=3, time_limit_seconds=300)


@dataclass(frozen=True)
class _Reads:
    """The recompute's reads, as Core statements built once per visibility shape (criteria
    written in: ``tenants/reads.py``) and compiled for asyncpg on PostgreSQL. The same columns,
    in the same order, as ``core``'s ORM statements (``tests/workers/test_jobs.py`` compares)."""

    plans: Any
    plan: Any
    drafts: Any
    drafts_of_plan: Any
    ratings: Any
    figures: Any


@cache
def _reads(shape: reads.Shape) -> _Reads:
    plans, commitments, milestones = (
        ActionPlan.__table__.c,
        Commitment.__table__.c,
        Milestone.__table__.c,
    )
    drafts_table, ratings_table = Evaluation.__table__.c, Rating.__table__.c
    all_plans = select(plans.id).where(*reads.visible(ActionPlan, plans, shape))
    drafts = (
        select(
            drafts_table.id,
            drafts_table.framework,
            drafts_table.target,
            drafts_table.plan_id,
            drafts_table.commitment_id,
        )
        .where(*reads.visible(Evaluation, drafts_table, shape))
        .where(drafts_table.status == EvaluationStatus.DRAFT)
    )
    return _Reads(
        plans=all_plans,
        plan=all_plans.where(plans.id == bindparam("plan")),
        drafts=drafts.order_by(drafts_table.id),
        drafts_of_plan=drafts.where(drafts_table.plan_id == bindparam("plan")).order_by(
            drafts_table.id
        ),
        ratings=select(
            ratings_table.id,
            ratings_table.evaluation_id,
            ratings_table.criterion,
            ratings_table.value,
            ratings_table.derived,
            ratings_table.overridden,
        )
        .where(*reads.visible(Rating, ratings_table, shape))
        .where(ratings_table.evaluation_id.in_(bindparam("evaluations", expanding=True)))
        .order_by(ratings_table.id),
        figures=rollup.summed_figures(
            commitments,
            milestones,
            bindparam("plans", expanding=True),
            commitment_criteria=reads.visible(Commitment, commitments, shape),
            milestone_criteria=reads.visible(Milestone, milestones, shape),
        ),
    )
