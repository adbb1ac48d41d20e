from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from core.audit.models import AuditEvent as AuditRow
from graphql_schema.relay import Node


@strawberry.type(description="An append-only record of a change: who, what, when, before/after.")
class AuditEvent(Node):
    row: strawberry.Private[AuditRow]
    occurred_at: datetime
    action: str
    entity_type: str
    entity_id: str
    actor_subject: str
    actor_role: str
    cross_tenant: bool
    before: JSON | None
    after: JSON | None
