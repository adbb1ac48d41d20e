from __future__ import annotations

import strawberry

from core import lookups
from core.errors import BadUserInput
from core.i18n import msg
from core.identity.roles import Permission
from core.ids import decode_id
from core.jobs import service as jobs
from core.jobs.kinds import DELAYS, DIGEST, EXPORT, RECOMPUTE
from core.jobs.service import iso_week
from core.notifications import service as notifications
from core.plans.models import ActionPlan
from graphql_schema.context import Info
from graphql_schema.jobs.types import ExportFormat, Job, WebhookEndpoint
from graphql_schema.permissions import requires
from graphql_schema.rows import from_row


@strawberry.input
class ExportActionPlanInput:
    action_plan_id: strawberry.ID
    format: ExportFormat


@strawberry.input
class RecomputeScoresInput:
    action_plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="One plan; null: every plan and open assessment."
    )


@strawberry.type
class JobPayload:
    job: Job


@strawberry.input
class RunMonitoringInput:
    digest: bool = strawberry.field(
        default=False, description="Also this week's digest to the admins."
    )


@strawberry.type
class RunMonitoringPayload:
    jobs: list[Job]


@strawberry.input
class RegisterWebhookInput:
    url: str
    events: list[str] = strawberry.field(
        default_factory=list,
        description="Event types (e.g. action_plan.transition); empty: all.",
    )


@strawberry.type
class RegisterWebhookPayload:
    webhook: WebhookEndpoint
    secret: str = strawberry.field(
        description="The HMAC-SHA256 key of the Usina-Signature header. Shown only now."
    )


@strawberry.type
class WebhookPayload:
    webhook: WebhookEndpoint


RUN = [requires(Permission.RUN_JOBS)]
MANAGE = [requires(Permission.MANAGE_JOBS)]
WEBHOOKS = [requires(Permission.MANAGE_WEBHOOKS)]


@strawberry.type
class JobMutations:
    @strawberry.mutation(
        permission_classes=RUN,
        description="Export an action plan (CSV with OGP's dataset columns, JSON, or a "
        "printable HTML report); the job's downloadUrl serves the file once it succeeds.",
    )
    async def export_action_plan(self, info: Info, input: ExportActionPlanInput) -> JobPayload:
        info.context.tenant()
        plan_id = decode_id(input.action_plan_id, "ActionPlan", field="actionPlanId")
        async with info.context.transaction() as session:
            plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
            job = await jobs.enqueue(
                session,
                info.context.principal,
                EXPORT,
                {"plan_id": str(plan.id), "format": input.format.value},
                audited=True,
            )
        return JobPayload(job=from_row(Job, job))

    @strawberry.mutation(
        permission_classes=RUN,
        description="Recompute scores and derived ratings now (they are also recomputed "
        "after every progress report).",
    )
    async def recompute_scores(self, info: Info, input: RecomputeScoresInput) -> JobPayload:
        info.context.tenant()
        args = {}
        async with info.context.transaction() as session:
            if input.action_plan_id is not None:
                plan_id = decode_id(input.action_plan_id, "ActionPlan", field="actionPlanId")
                plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
                args["plan_id"] = str(plan.id)
            job = await jobs.enqueue(session, info.context.principal, RECOMPUTE, args, audited=True)
        return JobPayload(job=from_row(Job, job))

    @strawberry.mutation(
        permission_classes=MANAGE,
        description="Run monitoring now, without waiting for the daily run: delayed milestones "
        "to the editors (and the week's digest to the admins, if asked). Nobody gets the same "
        "notice twice: each e-mail is sent once per milestone and end date, or plan and week.",
    )
    async def run_monitoring(self, info: Info, input: RunMonitoringInput) -> RunMonitoringPayload:
        context = info.context
        context.tenant()
        today = context.today()
        wanted = [(DELAYS, {"date": today.isoformat()})]
        if input.digest:
            wanted.append((DIGEST, {"week": iso_week(today), "date": today.isoformat()}))
        async with context.transaction() as session:
            queued = [
                await jobs.enqueue(session, context.principal, kind, args, audited=True)
                for kind, args in wanted
            ]
        return RunMonitoringPayload(jobs=[from_row(Job, job) for job in queued])

    @strawberry.mutation(permission_classes=MANAGE, description="Queue a failed job again.")
    async def retry_job(self, info: Info, id: strawberry.ID) -> JobPayload:
        info.context.tenant()
        job_id = decode_id(id, "Job", field="id")
        async with info.context.transaction() as session:
            job = await jobs.retry(session, info.context.principal, job_id)
        return JobPayload(job=from_row(Job, job))

    @strawberry.mutation(permission_classes=WEBHOOKS)
    async def register_webhook(
        self, info: Info, input: RegisterWebhookInput
    ) -> RegisterWebhookPayload:
        info.context.tenant()
        known = set(info.context.plugins.events())
        for index, name in enumerate(input.events):
            if name not in known:
                raise BadUserInput(
                    msg(
                        f"No event is called '{name}' (see the webhookEvents query).",
                        f"Ningún evento se llama '{name}' (vea la consulta webhookEvents).",
                    ),
                    field=f"events.{index}",
                )
        async with info.context.transaction() as session:
            row, secret = await notifications.register_webhook(
                session, info.context.principal, input.url, input.events
            )
        return RegisterWebhookPayload(webhook=from_row(WebhookEndpoint, row), secret=secret)

    @strawberry.mutation(permission_classes=WEBHOOKS)
    async def remove_webhook(self, info: Info, id: strawberry.ID) -> WebhookPayload:
        info.context.tenant()
        endpoint_id = decode_id(id, "WebhookEndpoint", field="id")
        async with info.context.transaction() as session:
            row = await notifications.remove_webhook(session, info.context.principal, endpoint_id)
        return WebhookPayload(webhook=from_row(WebhookEndpoint, row))
