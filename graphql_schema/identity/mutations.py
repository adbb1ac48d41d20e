from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from core.errors import BadUserInput
from core.i18n import msg
from core.identity import service as identity
from core.identity.models import Person as PersonRow
from core.identity.roles import Permission, Role
from core.ids import decode_id
from graphql_schema.context import Info
from graphql_schema.identity.queries import grant_type
from graphql_schema.identity.types import ApiClient, ConsultantGrant, IdentityProvider, Membership
from graphql_schema.inputs import IdInput
from graphql_schema.permissions import requires
from graphql_schema.rows import from_row


@strawberry.input
class SetMembershipInput:
    issuer: str = strawberry.field(description="The identity provider's issuer URL.")
    role: Role
    subject: str | None = strawberry.field(
        default=None,
        description="The person's subject (sub) at that provider. Leave it out and give "
        "their e-mail to invite them: their first sign-in there claims the membership.",
    )
    email: str | None = None
    name: str | None = None


@strawberry.type
class MembershipPayload:
    membership: Membership


@strawberry.type
class RemovedPayload:
    removed_id: strawberry.ID


@strawberry.input
class CreateApiClientInput:
    name: str
    role: Role | None = strawberry.field(
        default=None, description="A municipal role; null: the public's reads only."
    )
    scopes: list[str] = strawberry.field(
        default_factory=lambda: ["read"], description="'read' and/or 'write'."
    )


@strawberry.type
class CreateApiClientPayload:
    api_client: ApiClient
    client_secret: str = strawberry.field(
        description="Shown only now: store it. Only its hash is kept."
    )


@strawberry.type
class ApiClientPayload:
    api_client: ApiClient


@strawberry.input
class AddIdentityProviderInput:
    name: str
    issuer: str = strawberry.field(
        description="Its discovery is at <issuer>/.well-known/openid-configuration."
    )
    audience: str = strawberry.field(description="The aud its access tokens carry for Usina.")
    email_claim: str = "email"
    roles_claim: str = "roles"
    # Null by default rather than {}: graphql-core cannot print an object default of a custom
    # scalar, so a {} default broke the standard introspection query.
    role_mapping: JSON | None = strawberry.field(
        default=None,
        description='Provider role -> municipal role, e.g. {"staff": "editor"} (none if omitted).',
    )
    default_role: Role | None = strawberry.field(
        default=Role.PARTICIPANT,
        description="The role of a person it vouches for who has no mapped role or membership.",
    )


@strawberry.type
class IdentityProviderPayload:
    identity_provider: IdentityProvider


@strawberry.input
class GrantConsultantInput:
    issuer: str
    subject: str
    email: str | None = None
    name: str | None = None


@strawberry.type
class ConsultantGrantPayload:
    grant: ConsultantGrant


MEMBERS = [requires(Permission.MANAGE_MEMBERS)]
CLIENTS = [requires(Permission.MANAGE_API_CLIENTS)]
PROVIDERS = [requires(Permission.MANAGE_IDENTITY_PROVIDERS)]
STAFF = [requires(Permission.MANAGE_STAFF)]


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(permission_classes=MEMBERS, description="Give a person a role here.")
    async def set_membership(self, info: Info, input: SetMembershipInput) -> MembershipPayload:
        info.context.tenant()
        async with info.context.transaction() as session:
            row = await identity.set_membership(
                session,
                info.context.principal,
                issuer=input.issuer,
                subject=input.subject,
                role=input.role,
                email=input.email,
                name=input.name,
            )
        return MembershipPayload(membership=from_row(Membership, row))

    @strawberry.mutation(
        permission_classes=MEMBERS,
        description="Take a person's role in the municipality away.",
    )
    async def remove_membership(self, info: Info, input: IdInput) -> RemovedPayload:
        id = input.id
        info.context.tenant()
        membership_id = decode_id(id, "Membership", field="id")
        async with info.context.transaction() as session:
            await identity.remove_membership(session, info.context.principal, membership_id)
        return RemovedPayload(removed_id=id)

    @strawberry.mutation(
        permission_classes=CLIENTS,
        description="Create an API client (a portal, an integration): its secret is in the "
        "payload, shown "
        "this once.",
    )
    async def create_api_client(
        self, info: Info, input: CreateApiClientInput
    ) -> CreateApiClientPayload:
        slug = info.context.tenant().binding.slug
        async with info.context.transaction() as session:
            created = await identity.create_client(
                session,
                info.context.principal,
                slug,
                name=input.name,
                role=input.role,
                scopes=list(input.scopes),
            )
        return CreateApiClientPayload(
            api_client=from_row(ApiClient, created.row), client_secret=created.secret
        )

    @strawberry.mutation(
        permission_classes=CLIENTS,
        description="Refuse the client's new token requests and every token it holds, at once.",
    )
    async def revoke_api_client(self, info: Info, input: IdInput) -> ApiClientPayload:
        id = input.id
        info.context.tenant()
        client_id = decode_id(id, "ApiClient", field="id")
        async with info.context.transaction() as session:
            row = await identity.revoke_client(session, info.context.principal, client_id)
        return ApiClientPayload(api_client=from_row(ApiClient, row))

    @strawberry.mutation(
        permission_classes=PROVIDERS,
        description="Trust an OpenID Connect provider of the municipality for its people's "
        "sign-in, mapping "
        "its claims to roles.",
    )
    async def add_identity_provider(
        self, info: Info, input: AddIdentityProviderInput
    ) -> IdentityProviderPayload:
        info.context.tenant()
        mapping: object = {} if input.role_mapping is None else input.role_mapping
        if not isinstance(mapping, dict):
            raise BadUserInput(
                msg(
                    "roleMapping must be an object.",
                    "roleMapping debe ser un objeto.",
                    "roleMapping deve ser um objeto.",
                ),
                field="roleMapping",
            )
        data = identity.ProviderData(
            name=input.name,
            issuer=input.issuer,
            audience=input.audience,
            email_claim=input.email_claim,
            roles_claim=input.roles_claim,
            role_mapping=mapping,
            default_role=input.default_role,
        )
        async with info.context.transaction() as session:
            row = await identity.add_provider(
                session, info.context.principal, data, settings=info.context.settings
            )
        return IdentityProviderPayload(identity_provider=from_row(IdentityProvider, row))

    @strawberry.mutation(
        permission_classes=PROVIDERS,
        description="Stop trusting an identity provider: its tokens are refused from now on.",
    )
    async def remove_identity_provider(self, info: Info, input: IdInput) -> RemovedPayload:
        id = input.id
        info.context.tenant()
        provider_id = decode_id(id, "IdentityProvider", field="id")
        async with info.context.transaction() as session:
            await identity.remove_provider(session, info.context.principal, provider_id)
        return RemovedPayload(removed_id=id)

    @strawberry.mutation(
        permission_classes=STAFF,
        description="Let a consultant act in this municipality (platform admins only).",
    )
    async def grant_consultant(
        self, info: Info, input: GrantConsultantInput
    ) -> ConsultantGrantPayload:
        municipality_id = info.context.tenant().municipality.id
        async with info.context.transaction() as session:
            grant = await identity.grant_consultant(
                session,
                info.context.principal,
                municipality_id,
                issuer=input.issuer,
                subject=input.subject,
                email=input.email,
                name=input.name,
            )
            person = await session.get(PersonRow, grant.person_id)
        return ConsultantGrantPayload(grant=grant_type(grant, person))

    @strawberry.mutation(
        permission_classes=STAFF,
        description="Take back a consultant's access to this municipality (platform admins only).",
    )
    async def revoke_consultant_grant(self, info: Info, input: IdInput) -> RemovedPayload:
        id = input.id
        municipality_id = info.context.tenant().municipality.id
        grant_id = decode_id(id, "ConsultantGrant", field="id")
        async with info.context.transaction() as session:
            await identity.revoke_consultant_grant(
                session, info.context.principal, grant_id, municipality_id
            )
        return RemovedPayload(removed_id=id)
