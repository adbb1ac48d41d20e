from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from core.identity.models import ApiClient as ApiClientRow
from core.identity.models import IdentityProvider as ProviderRow
from core.identity.models import Membership as MembershipRow
from core.identity.models import Person as PersonRow
from core.identity.roles import Role
from graphql_schema.context import Info
from graphql_schema.relay import Node


@strawberry.type(description="A human as an identity provider knows them (issuer + subject).")
class Person:
    row: strawberry.Private[PersonRow]
    issuer: str
    subject: str | None = strawberry.field(description="Null while an invitation waits.")
    email: str | None
    name: str | None
    staff_role: Role | None = strawberry.field(
        description="platform_admin or consultant for the consultancy's staff."
    )

    @classmethod
    def of(cls, row: PersonRow) -> Person:
        return cls(
            row=row,
            issuer=row.issuer,
            subject=row.subject,
            email=row.email,
            name=row.name,
            staff_role=row.staff_role,
        )


async def load_person(info: Info, person_id: uuid.UUID) -> Person:
    row = await info.context.loaders.get(PersonRow).load(person_id)
    return Person.of(row)


@strawberry.type(description="A person's role in this municipality.")
class Membership(Node):
    row: strawberry.Private[MembershipRow]
    role: Role
    created_at: datetime
    created_by: str

    @strawberry.field
    async def person(self, info: Info) -> Person:
        return await load_person(info, self.row.person_id)


@strawberry.type(
    description="A portal or integration that gets tokens at /oauth/token (client credentials)."
)
class ApiClient(Node):
    row: strawberry.Private[ApiClientRow]
    client_id: str
    name: str
    role: Role | None = strawberry.field(
        description="The role it acts with; null: the public's reads, on its own rate budget."
    )
    scopes: list[str]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


@strawberry.type(description="An OpenID Connect provider this municipality trusts.")
class IdentityProvider(Node):
    row: strawberry.Private[ProviderRow]
    name: str
    issuer: str
    audience: str
    email_claim: str
    roles_claim: str
    role_mapping: JSON = strawberry.field(description="Provider role name -> municipal role.")
    default_role: Role | None
    created_at: datetime


@strawberry.type(description="A consultant of the consultancy may act in this municipality.")
class ConsultantGrant:
    id: strawberry.ID
    person: Person
    granted_by: str
    created_at: datetime
