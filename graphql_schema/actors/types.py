from __future__ import annotations

import strawberry

from core.actors.models import Actor as ActorRow
from core.enums import ActorKind
from graphql_schema.relay import Node


@strawberry.type(description="An organisation or office: lead agency or supporting actor.")
class Actor(Node):
    row: strawberry.Private[ActorRow]
    kind: ActorKind
    name: str
    contact_name: str | None
    contact_email: str | None
