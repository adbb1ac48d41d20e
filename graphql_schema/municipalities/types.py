from __future__ import annotations

from typing import Any

import strawberry

from core.enums import ActionPlanStatus, Locale, MunicipalityStatus
from core.errors import TenantRequired
from core.i18n import msg
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
        description="Action plans, newest first. The public sees no drafts. Null, with a "
        "TENANT_REQUIRED error, for a municipality other than the one the request is bound "
        "to (listing municipalities): its plans are read bound to it."
    )
    async def action_plans(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[ActionPlanStatus] | None = None,
    ) -> Connection[ActionPlan] | None:
        bound = info.context.binding
        if bound is None or bound.tenant_id != self.row.id:
            # Never an empty list for another municipality's plans: its rows are read only
            # bound to it (row-level security would hide them, a silently wrong answer).
            raise TenantRequired(
                msg(
                    f"Read the plans of '{self.row.slug}' bound to it (X-Tenant: {self.row.slug}).",
                    f"Lea los planes de '{self.row.slug}' con la solicitud dirigida a ese "
                    f"municipio (X-Tenant: {self.row.slug}).",
                    f"Leia os planos de '{self.row.slug}' com a solicitação dirigida a esse "
                    f"município (X-Tenant: {self.row.slug}).",
                ),
                field="actionPlans",
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
