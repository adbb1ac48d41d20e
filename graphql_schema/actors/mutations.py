from __future__ import annotations

import strawberry

from core.actors import service as actors
from core.enums import ActorKind
from core.identity.roles import Permission
from graphql_schema.actors.types import Actor
from graphql_schema.context import Info
from graphql_schema.inputs import provided
from graphql_schema.permissions import requires
from graphql_schema.relay import decode_id
from graphql_schema.rows import from_row


@strawberry.input
class CreateActorInput:
    kind: ActorKind
    name: str
    contact_name: str | None = None
    contact_email: str | None = None


@strawberry.input
class UpdateActorInput:
    id: strawberry.ID
    kind: ActorKind | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    contact_name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET


@strawberry.type
class ActorPayload:
    actor: Actor


EDIT = [requires(Permission.EDIT_ACTORS)]


@strawberry.type
class ActorMutations:
    @strawberry.mutation(permission_classes=EDIT)
    async def create_actor(self, info: Info, input: CreateActorInput) -> ActorPayload:
        info.context.tenant()
        data = actors.ActorData(
            kind=input.kind,
            name=input.name,
            contact_name=input.contact_name,
            contact_email=input.contact_email,
        )
        async with info.context.transaction() as session:
            row = await actors.create(session, info.context.principal, data)
        return ActorPayload(actor=from_row(Actor, row))

    @strawberry.mutation(permission_classes=EDIT)
    async def update_actor(self, info: Info, input: UpdateActorInput) -> ActorPayload:
        info.context.tenant()
        actor_id = decode_id(input.id, "Actor", field="id")
        changes = provided(input)
        changes = {k: v for k, v in changes.items() if v is not None or k.startswith("contact")}
        async with info.context.transaction() as session:
            row = await actors.update(session, info.context.principal, actor_id, changes)
        return ActorPayload(actor=from_row(Actor, row))
