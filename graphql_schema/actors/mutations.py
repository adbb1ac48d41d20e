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
    contact_public: bool = strawberry.field(
        default=False,
        description="The contact person agreed to be shown to the public (default: staff only).",
    )


@strawberry.input
class UpdateActorInput:
    id: strawberry.ID
    kind: ActorKind | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    contact_name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET
    contact_public: bool | None = strawberry.UNSET


@strawberry.type
class ActorPayload:
    actor: Actor


EDIT = [requires(Permission.EDIT_ACTORS)]


@strawberry.type
class ActorMutations:
    @strawberry.mutation(
        permission_classes=EDIT,
        description="Register an actor: a government body, a civil-society organisation, academia "
        "or the "
        "private sector.",
    )
    async def create_actor(self, info: Info, input: CreateActorInput) -> ActorPayload:
        info.context.tenant()
        data = actors.ActorData(
            kind=input.kind,
            name=input.name,
            contact_name=input.contact_name,
            contact_email=input.contact_email,
            contact_public=input.contact_public,
        )
        async with info.context.transaction() as session:
            row = await actors.create(session, info.context.principal, data)
        return ActorPayload(actor=from_row(Actor, row))

    @strawberry.mutation(
        permission_classes=EDIT,
        description="Change an actor's name, kind or contact.",
    )
    async def update_actor(self, info: Info, input: UpdateActorInput) -> ActorPayload:
        info.context.tenant()
        actor_id = decode_id(input.id, "Actor", field="id")
        changes = provided(input)
        # A contact's name and e-mail can be cleared (null); everything else keeps its value.
        clearable = ("contact_name", "contact_email")
        changes = {k: v for k, v in changes.items() if v is not None or k in clearable}
        async with info.context.transaction() as session:
            row = await actors.update(session, info.context.principal, actor_id, changes)
        return ActorPayload(actor=from_row(Actor, row))
