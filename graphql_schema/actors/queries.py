from __future__ import annotations

import strawberry

from core.identity.roles import Permission
from graphql_schema.actors.types import Actor
from graphql_schema.audit.types import AuditEvent
from graphql_schema.connections import connection
from graphql_schema.context import Info
from graphql_schema.loaders import ACTORS, AUDIT_EVENTS
from graphql_schema.permissions import requires
from graphql_schema.relay import Connection


@strawberry.type
class ActorQueries:
    @strawberry.field(description="The municipality's actors, by name.")
    async def actors(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Actor]:
        tenant_id = info.context.tenant().binding.tenant_id
        return await connection(info, ACTORS, Actor, tenant_id, first, after)

    @strawberry.field(
        description="The municipality's audit trail, newest first.",
        permission_classes=[requires(Permission.READ_AUDIT)],
    )
    async def audit_events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEvent]:
        tenant_id = info.context.tenant().binding.tenant_id
        return await connection(info, AUDIT_EVENTS, AuditEvent, tenant_id, first, after)
