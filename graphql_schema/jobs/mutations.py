from __future__ import annotations

import base64
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import Base64

from core import lookups
from core.errors import BadUserInput
from core.exports import imports
from core.i18n import msg
from core.identity.roles import Permission, Role
from core.ids import decode_id
from core.jobs import service as jobs
from core.jobs.kinds import DELAYS, DIGEST, EXPORT, IMPORT, RECOMPUTE
from core.jobs.service import iso_week
from core.notifications import service as notifications
from core.plans import lifecycle, versions
from core.plans.models import ActionPlan
from graphql_schema.context import Info
from graphql_schema.inputs import IdInput
from graphql_schema.jobs.types import ExportFormat, Job, WebhookEndpoint
from graphql_schema.permissions import requires
from graphql_schema.rows import from_row


@strawberry.input
class ExportActionPlanInput:
    action_plan_id: strawberry.ID
    format: ExportFormat
    version: int | None = strawberry.field(
        default=None,
        description="A published version's number: the plan as that version published it, "
        "with today's progress. Omitted: the plan as the public reads it now (its latest published "
        "version, with today's progress).",
    )


@strawberry.enum
class ImportFormat(Enum):
    CSV = "csv"
    XLSX = "xlsx"


@strawberry.input
class ImportActionPlanInput:
    action_plan_id: strawberry.ID
    format: ImportFormat
    content: Base64 = strawberry.field(
        description="The file, base64-encoded: a CSV or XLSX as the export writes it."
    )


#: The largest file an import takes (a plan's spreadsheet is far smaller).
MAX_IMPORT_BYTES = 2_000_000


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
EDIT = [requires(Permission.EDIT_PLANS)]
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
            args: dict[str, Any] = {"plan_id": str(plan.id), "format": input.format.value}
            if input.version is not None:
                await versions.by_number(session, plan.id, input.version)
                args["version"] = input.version
            job = await jobs.enqueue(session, info.context.principal, EXPORT, args, audited=True)
        return JobPayload(job=from_row(Job, job))

    @strawberry.mutation(
        permission_classes=EDIT,
        description="Import a plan's commitments and milestones from the CSV or XLSX its "
        "export writes: matched by code (milestones by commitment and title), updated or "
        "created, nothing deleted. All rows or none: the job's result lists every bad row "
        "(sheet, row, column, code, message) when any is bad, and then nothing changed.",
    )
    async def import_action_plan(self, info: Info, input: ImportActionPlanInput) -> JobPayload:
        context = info.context
        context.tenant()
        plan_id = decode_id(input.action_plan_id, "ActionPlan", field="actionPlanId")
        content = bytes(input.content)
        if not content or len(content) > MAX_IMPORT_BYTES:
            raise BadUserInput(
                msg(
                    f"Send a file of 1 byte to {MAX_IMPORT_BYTES // 1_000_000} MB.",
                    f"Envíe un archivo de 1 byte a {MAX_IMPORT_BYTES // 1_000_000} MB.",
                    f"Envie um arquivo de 1 byte a {MAX_IMPORT_BYTES // 1_000_000} MB.",
                ),
                field="content",
            )
        imports.read(content, input.format.value)  # a file that is no CSV or XLSX: now
        principal = context.principal
        async with context.transaction() as session:
            plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
            lifecycle.require_editable(plan)
            job = await jobs.enqueue(
                session,
                principal,
                IMPORT,
                {
                    "plan_id": str(plan.id),
                    "format": input.format.value,
                    "content": base64.b64encode(content).decode(),
                    "by": principal.subject,
                    "role": (principal.role or Role.EDITOR).value,
                },
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
    async def retry_job(self, info: Info, input: IdInput) -> JobPayload:
        id = input.id
        info.context.tenant()
        job_id = decode_id(id, "Job", field="id")
        async with info.context.transaction() as session:
            job = await jobs.retry(session, info.context.principal, job_id)
        return JobPayload(job=from_row(Job, job))

    @strawberry.mutation(
        permission_classes=WEBHOOKS,
        description="Register an HTTPS endpoint called, signed, on the events named; its signing "
        "secret is "
        "in the payload, shown this once.",
    )
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
                        f"Nenhum evento se chama '{name}' (veja a consulta webhookEvents).",
                    ),
                    field=f"events.{index}",
                )
        async with info.context.transaction() as session:
            row, secret = await notifications.register_webhook(
                session, info.context.principal, input.url, input.events
            )
        return RegisterWebhookPayload(webhook=from_row(WebhookEndpoint, row), secret=secret)

    @strawberry.mutation(
        permission_classes=WEBHOOKS,
        description="Stop calling a webhook endpoint.",
    )
    async def remove_webhook(self, info: Info, input: IdInput) -> WebhookPayload:
        id = input.id
        info.context.tenant()
        endpoint_id = decode_id(id, "WebhookEndpoint", field="id")
        async with info.context.transaction() as session:
            row = await notifications.remove_webhook(session, info.context.principal, endpoint_id)
        return WebhookPayload(webhook=from_row(WebhookEndpoint, row))
