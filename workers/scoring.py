"""``scores.recompute``: re-derive draft evaluations and re-score open assessments after their
inputs changed (queued by the unit of work after a progress report or a KPI value)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.diagnostics import service as diagnostics
from core.evaluation import service as evaluations
from core.jobs.kinds import RECOMPUTE
from core.plans.models import ActionPlan
from core.progress import rollup
from plugins.derivation import deriver
from plugins.manager import PluginRegistry
from plugins.records import JobContext, JobSpec


def recompute(registry: PluginRegistry) -> JobSpec:
    async def run(ctx: JobContext) -> dict[str, Any]:
        plan_id = ctx.uuid_arg("plan_id")

        def derive_for(framework: str) -> evaluations.Derive | None:
            found = registry.framework(framework)
            return deriver(found[1]) if found else None

        def instrument_for(name: str) -> Any:
            found = registry.instrument(name)
            return found[1] if found else None

        plans = select(ActionPlan.id)
        if plan_id:
            plans = plans.where(ActionPlan.id == plan_id)
        ids = list((await ctx.session.execute(plans)).scalars())
        # One statement gives the plans' progress and their commitments', which the drafts rate.
        figures = await rollup.figures_of_plans(ctx.session, ids) if ids else None
        rederived = await evaluations.rederive_drafts(
            ctx.session, derive_for, plan_id, figures=figures
        )
        rescored = 0 if plan_id else await diagnostics.rescore_open(ctx.session, instrument_for)
        progress = figures.plans if figures is not None else {}
        return {
            "evaluationsRederived": rederived,
            "assessmentsRescored": rescored,
            "planProgress": {str(k): round(v, 2) for k, v in progress.items()},
        }

    return JobSpec(name=RECOMPUTE, run=run, max_attempts=3, time_limit_seconds=300)
