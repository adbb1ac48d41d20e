from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info as StrawberryInfo

from core.enums import ActionPlanStatus, Locale, MunicipalityStatus
from core.identity import service as identity
from core.identity.roles import Role
from core.municipalities.models import Municipality as MunicipalityRow
from graphql_schema.connections import connection
from graphql_schema.context import Info
from graphql_schema.loaders import PLANS
from graphql_schema.plans.types import ActionPlan
from graphql_schema.relay import Connection, Node


async def plans_connection(
    info: Info,
    tenant_id: object,
    first: int | None,
    after: str | None,
    status: list[ActionPlanStatus] | None,
) -> Connection[ActionPlan]:
    filters = (("status", tuple(sorted(status))),) if status else ()
    return await connection(info, PLANS, ActionPlan, tenant_id, first, after, filters)  # type: ignore[arg-type]


@strawberry.type(description="A municipality: one tenant of Usina.")
class Municipality(Node):
    row: strawberry.Private[MunicipalityRow]
    slug: str
    name: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    region: str | None
    population: int | None
    website: str | None
    locale: Locale
    timezone: str
    status: MunicipalityStatus
    portal_origins: list[str] = strawberry.field(
        description="Web origins of its portals, allowed to call the API from a browser."
    )

    @strawberry.field(
        description="Action plans, newest first. The public sees no drafts. For a "
        "municipality other than the one the request is bound to (listing municipalities), "
        "they are read bound to that municipality, as a caller who may act there (a platform "
        "admin, or a consultant it was granted to; audited there as platform.bind); anyone "
        "else gets null with FORBIDDEN (TENANT_SUSPENDED for a suspended one), never an empty "
        "list."
    )
    async def action_plans(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[ActionPlanStatus] | None = None,
    ) -> Connection[ActionPlan] | None:
        context = await info.context.bound_to(self.row, info.path.as_list())
        if context is not info.context:
            info = StrawberryInfo(
                _raw_info=info._raw_info._replace(context=context), _field=info._field
            )
        return await plans_connection(info, self.row.id, first, after, status)


@strawberry.type(description="Who is asking.")
class Viewer:
    subject: str
    issuer: str | None = strawberry.field(description="Who vouched for the subject.")
    role: Role | None = strawberry.field(
        description="The role held where the request is bound (null: no role there)."
    )
    municipality: str | None = strawberry.field(description="Where the role holds.")
    client_id: str | None = strawberry.field(description="Set when an API client is calling.")
    scopes: list[str] | None = strawberry.field(description="An API client's granted scopes.")
    permissions: list[str]
    principal: strawberry.Private[Any] = None

    @strawberry.field(
        description="A consultant's municipalities (the ones granted to them), by slug; empty "
        "for everyone else (a platform admin lists all with `municipalities`)."
    )
    async def granted_municipalities(self, info: Info) -> list[str]:
        principal = self.principal
        if principal is None or principal.role is not Role.CONSULTANT:
            return []
        async with info.context.db.session(None) as session:
            return await identity.granted_slugs(session, principal.issuer or "", principal.subject)
