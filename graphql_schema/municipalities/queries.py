from __future__ import annotations

import strawberry

from core.enums import ActionPlanStatus
from core.identity.roles import Permission
from core.municipalities.models import Municipality as MunicipalityRow
from graphql_schema.connections import connection
from graphql_schema.context import Info
from graphql_schema.loaders import DELAYED_IN_MUNICIPALITY, DELAYED_ON
from graphql_schema.milestones.types import Milestone
from graphql_schema.municipalities.types import Municipality, Viewer, plans_connection
from graphql_schema.nodes import resolve_node
from graphql_schema.pagination import PageSpec, count_root
from graphql_schema.permissions import requires
from graphql_schema.plans.types import ActionPlan
from graphql_schema.relay import Connection, Node
from graphql_schema.rows import from_row

MUNICIPALITIES = PageSpec(MunicipalityRow, None, (MunicipalityRow.slug, MunicipalityRow.id))


@strawberry.type
class MunicipalityQueries:
    @strawberry.field(description="Any object by its global ID, within the bound municipality.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="The municipality the request is bound to.")
    def municipality(self, info: Info) -> Municipality:
        return from_row(Municipality, info.context.tenant().municipality)

    @strawberry.field(description="The bound municipality's action plans, newest first.")
    async def action_plans(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[ActionPlanStatus] | None = None,
    ) -> Connection[ActionPlan]:
        tenant_id = info.context.tenant().binding.tenant_id
        return await plans_connection(info, tenant_id, first, after, status)

    @strawberry.field(
        description="Milestones delayed today across the municipality's plans being "
        "implemented (published or in implementation), the most overdue first."
    )
    async def delayed_milestones(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Milestone]:
        context = info.context
        tenant_id = context.tenant().binding.tenant_id
        today = ((DELAYED_ON, (context.today(),)),)
        return await connection(
            info, DELAYED_IN_MUNICIPALITY, Milestone, tenant_id, first, after, today
        )

    @strawberry.field(description="Who is asking; null when anonymous.")
    def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.principal
        if principal.is_anonymous:
            return None
        return Viewer(
            subject=principal.subject,
            issuer=principal.issuer,
            role=principal.role,
            municipality=principal.tenant,
            client_id=principal.client_id,
            scopes=sorted(principal.scopes) if principal.scopes is not None else None,
            permissions=sorted(p.value for p in Permission if principal.can(p)),
            principal=principal,
        )

    @strawberry.field(
        description="Every municipality (the consultancy's staff: platform admins and "
        "consultants). Their fields owned by the municipality (actionPlans) are read bound to "
        "each one the caller may act in, and refused for the others.",
        permission_classes=[requires(Permission.READ_PORTFOLIO)],
    )
    async def municipalities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Municipality]:
        context = info.context

        async def count() -> int:
            async with context.db_lock:
                return await count_root(context.session, MUNICIPALITIES)

        return await connection(
            info,
            MUNICIPALITIES,
            Municipality,
            None,
            first,
            after,
            count=count,
        )
