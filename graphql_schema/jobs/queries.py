from __future__ import annotations

import strawberry

from core.identity.roles import Permission
from core.jobs.models import Job as JobRow
from core.jobs.models import JobStatus
from core.notifications.models import WebhookEndpoint as WebhookRow
from graphql_schema.connections import connection, every_row
from graphql_schema.context import Info
from graphql_schema.jobs.types import Job, WebhookEndpoint
from graphql_schema.pagination import PageSpec
from graphql_schema.permissions import requires
from graphql_schema.relay import Connection

JOBS = PageSpec(JobRow, JobRow.tenant_id, (JobRow.created_at, JobRow.id), descending=True)


@strawberry.type
class JobQueries:
    @strawberry.field(
        description="The municipality's background jobs, newest first (filter by status to "
        "find the failed ones).",
        permission_classes=[requires(Permission.RUN_JOBS)],
    )
    async def jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[JobStatus] | None = None,
    ) -> Connection[Job]:
        tenant_id = info.context.tenant().binding.tenant_id
        filters = (("status", tuple(sorted(status))),) if status else ()
        return await connection(info, JOBS, Job, tenant_id, first, after, filters)

    @strawberry.field(
        description="The URLs the municipality's events are posted to.",
        permission_classes=[requires(Permission.MANAGE_WEBHOOKS)],
    )
    async def webhooks(self, info: Info) -> list[WebhookEndpoint]:
        return await every_row(info, WebhookRow, WebhookEndpoint)

    @strawberry.field(
        description="The event names a webhook can subscribe to (registerWebhook's events): "
        "the audit actions of the core and of the installed plugins."
    )
    def webhook_events(self, info: Info) -> list[str]:
        return info.context.plugins.events()
