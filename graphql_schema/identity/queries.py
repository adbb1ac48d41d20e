from __future__ import annotations

import strawberry

from core.identity import service as identity
from core.identity.models import ApiClient as ApiClientRow
from core.identity.models import IdentityProvider as ProviderRow
from core.identity.models import Membership as MembershipRow
from core.identity.roles import Permission
from core.ids import to_global_id
from graphql_schema.connections import connection, every_row
from graphql_schema.context import Info
from graphql_schema.identity.types import (
    ApiClient,
    ConsultantGrant,
    IdentityProvider,
    Membership,
    Person,
)
from graphql_schema.pagination import PageSpec
from graphql_schema.permissions import requires
from graphql_schema.relay import Connection

MEMBERSHIPS = PageSpec(
    MembershipRow, MembershipRow.tenant_id, (MembershipRow.created_at, MembershipRow.id)
)
API_CLIENTS = PageSpec(
    ApiClientRow, ApiClientRow.tenant_id, (ApiClientRow.created_at, ApiClientRow.id)
)


@strawberry.type
class IdentityQueries:
    @strawberry.field(
        description="The municipality's members and their roles.",
        permission_classes=[requires(Permission.MANAGE_MEMBERS)],
    )
    async def memberships(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        tenant_id = info.context.tenant().binding.tenant_id
        return await connection(info, MEMBERSHIPS, Membership, tenant_id, first, after)

    @strawberry.field(
        description="The municipality's API clients (secrets are never shown again).",
        permission_classes=[requires(Permission.MANAGE_API_CLIENTS)],
    )
    async def api_clients(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ApiClient]:
        tenant_id = info.context.tenant().binding.tenant_id
        return await connection(info, API_CLIENTS, ApiClient, tenant_id, first, after)

    @strawberry.field(
        description="The OpenID Connect providers the municipality trusts.",
        permission_classes=[requires(Permission.MANAGE_IDENTITY_PROVIDERS)],
    )
    async def identity_providers(self, info: Info) -> list[IdentityProvider]:
        return await every_row(info, ProviderRow, IdentityProvider)

    @strawberry.field(
        description="The consultants granted access to this municipality.",
        permission_classes=[requires(Permission.MANAGE_MEMBERS)],
    )
    async def consultant_grants(self, info: Info) -> list[ConsultantGrant]:
        municipality_id = info.context.tenant().municipality.id
        async with info.context.db_lock:
            found = await identity.grants(info.context.session, municipality_id)
        return [grant_type(grant, person) for grant, person in found]


def grant_type(grant: object, person: object) -> ConsultantGrant:
    return ConsultantGrant(
        id=strawberry.ID(to_global_id("ConsultantGrant", grant.id)),  # type: ignore[attr-defined]
        person=Person.of(person),  # type: ignore[arg-type]
        granted_by=grant.granted_by,  # type: ignore[attr-defined]
        created_at=grant.created_at,  # type: ignore[attr-defined]
    )
