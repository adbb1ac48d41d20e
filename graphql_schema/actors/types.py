from __future__ import annotations

import strawberry

from core.actors.models import Actor as ActorRow
from core.enums import ActorKind
from core.identity.roles import Permission
from graphql_schema.context import Info
from graphql_schema.relay import Node


@strawberry.type(description="An organisation or office: lead agency or supporting actor.")
class Actor(Node):
    row: strawberry.Private[ActorRow]
    kind: ActorKind
    name: str
    contact_public: bool = strawberry.field(
        description="The contact person agreed to be shown to the public."
    )

    @strawberry.field(description="Shown to the public only where the contact agreed to it.")
    def contact_name(self, info: Info) -> str | None:
        return self.row.contact_name if _shows_contact(self.row, info) else None

    @strawberry.field(description="Shown to the public only where the contact agreed to it.")
    def contact_email(self, info: Info) -> str | None:
        return self.row.contact_email if _shows_contact(self.row, info) else None


def _shows_contact(row: ActorRow, info: Info) -> bool:
    return row.contact_public or info.context.principal.can(Permission.EDIT_ACTORS)
