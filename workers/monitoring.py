"""``monitoring.delays`` (daily, to editors) and ``monitoring.digest`` (weekly, to admins),
each e-mail deduplicated per milestone and end date, or per plan and week."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from core.commitments.models import Commitment
from core.enums import ActionPlanStatus, MilestoneStatus
from core.identity.roles import Role
from core.milestones.models import Milestone
from core.notifications import service as notifications
from core.plans.models import ActionPlan
from core.progress import rollup
from core.words import day, whole_percent
from plugins.records import JobContext

ACTIVE_PLANS = (ActionPlanStatus.PUBLISHED, ActionPlanStatus.IMPLEMENTATION)


async def monitor_delays(ctx: JobContext) -> dict[str, Any]:
    """Milestones past their end date and not finished: tell the municipality's editors,
    once per milestone and end date."""
    today = date.fromisoformat(str(ctx.args["date"]))
    rows = await ctx.session.execute(
        select(Milestone, Commitment, ActionPlan)
        .join(
            Commitment,
            (Commitment.tenant_id == Milestone.tenant_id)
            & (Commitment.id == Milestone.commitment_id),
        )
        .join(
            ActionPlan,
            (ActionPlan.tenant_id == Commitment.tenant_id) & (ActionPlan.id == Commitment.plan_id),
        )
        .where(
            ActionPlan.status.in_(ACTIVE_PLANS),
            Milestone.is_delayed_on(today),
        )
        .order_by(Milestone.end_date, Milestone.id)
    )
    delayed = list(rows.all())
    editors = await notifications.member_emails(ctx.session, [Role.EDITOR])
    sent = 0
    for milestone, commitment, plan in delayed:
        for email in editors:
            queued = await notifications.queue_email(
                ctx.session,
                template="milestone.delayed",
                locale=ctx.municipality.locale.value,
                recipient=email,
                values={
                    "municipality": ctx.municipality.name,
                    "milestone": milestone.title,
                    "commitment": commitment.title,
                    "commitment_code": commitment.code,
                    "plan": plan.title,
                    "end_date": day(milestone.end_date, ctx.municipality.locale.value),
                    "percent": whole_percent(milestone.progress),
                },
                dedupe_key=f"delayed:{milestone.id}:{milestone.end_date}:{email}",
            )
            sent += queued is not None
    return {"delayedMilestones": len(delayed), "emailsQueued": sent}


async def weekly_digest(ctx: JobContext) -> dict[str, Any]:
    """Each active plan's week, to the municipality's admins (once per plan, week, admin)."""
    week = str(ctx.args["week"])
    today = date.fromisoformat(str(ctx.args.get("date") or datetime.now(UTC).date()))
    plans = list(
        (
            await ctx.session.execute(
                select(ActionPlan)
                .where(ActionPlan.status.in_(ACTIVE_PLANS))
                .order_by(ActionPlan.start_date)
            )
        ).scalars()
    )
    admins = await notifications.member_emails(ctx.session, [Role.TENANT_ADMIN])
    progress = await rollup.progress_by_plan(ctx.session, [p.id for p in plans]) if plans else {}
    queued_count = 0
    for plan in plans:
        commitments = list(
            (
                await ctx.session.execute(
                    select(Commitment)
                    .where(Commitment.plan_id == plan.id)
                    .order_by(Commitment.code)
                )
            ).scalars()
        )
        by_commitment = (
            await rollup.progress_by_commitment(ctx.session, [c.id for c in commitments])
            if commitments
            else {}
        )
        milestones = list(
            (
                await ctx.session.execute(
                    select(Milestone).where(
                        Milestone.commitment_id.in_([c.id for c in commitments])
                    )
                )
            ).scalars()
        )
        completed = sum(m.status is MilestoneStatus.COMPLETED for m in milestones)
        delayed = sum(m.is_delayed_on(today) for m in milestones)
        lines = "\n".join(
            f"  {c.code} {c.title}: {whole_percent(by_commitment.get(c.id, 0.0))} %"
            for c in commitments
        )
        for email in admins:
            queued = await notifications.queue_email(
                ctx.session,
                template="plan.digest",
                locale=ctx.municipality.locale.value,
                recipient=email,
                values={
                    "municipality": ctx.municipality.name,
                    "plan": plan.title,
                    "week": week,
                    "progress": whole_percent(progress.get(plan.id, 0.0)),
                    "commitments": len(commitments),
                    "completed": completed,
                    "milestones": len(milestones),
                    "delayed": delayed,
                    "lines": lines,
                },
                dedupe_key=f"digest:{plan.id}:{week}:{email}",
            )
            queued_count += queued is not None
    return {"plans": len(plans), "emailsQueued": queued_count}
