"""The body of a webhook call, version 1: what a receiver outside Usina reads.

The audit event it announces records columns as they are stored (snake_case, raw UUIDs, the
municipality's internal id); receivers get the API's vocabulary instead: camelCase keys, global
IDs (those ``node(id:)`` takes) for the entity and every reference, no internal column.
``docs/workers.md`` documents the shape; ``"version"`` changes only with a breaking change.
"""

from __future__ import annotations

import re
import uuid
from functools import cache
from typing import Any

from core.audit.models import AuditEvent
from core.db.base import Base
from core.ids import to_global_id

VERSION = 1
#: Never sent: internal to the platform, or secrets (hashed or not).
WITHHELD = frozenset(
    {"tenant_id", "secret", "secret_hash", "confirm_token_hash", "unsubscribe_token", "private_jwk"}
)
#: References that are no foreign key (lists kept in JSON): the type their ids name.
LISTED = {"attendee_ids": "Actor", "commitment_ids": "Commitment"}
#: Columns whose foreign key points at another column of a composite key (``plan_id`` in
#: ``(tenant_id, plan_id, channel_id) -> channels``), or that have none.
NAMED = {
    "plan_id": "ActionPlan",
    "commitment_id": "Commitment",
    "channel_id": "Channel",
    "milestone_id": "Milestone",
    "actor_id": "Actor",
    "job_id": "Job",
    "endpoint_id": "WebhookEndpoint",
    "evaluation_id": "Evaluation",
    "assessment_id": "Assessment",
    "parent_id": None,  # the entity's own type
    "merged_into_id": None,
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def _models() -> dict[str, type[Any]]:
    import core.models  # noqa: F401  (every model mapped before the first look)

    return {mapper.class_.__name__: mapper.class_ for mapper in Base.registry.mappers}


@cache
def references(entity_type: str) -> dict[str, str]:
    """Column -> the type of what it references, from the table's foreign keys (a composite
    ``(tenant_id, x_id)`` key names its target by the non-tenant column)."""
    model = _models().get(entity_type)
    if model is None:
        return {}
    by_table = {m.__tablename__: name for name, m in _models().items()}
    out: dict[str, str] = {}
    for key in model.__table__.foreign_keys:
        target = by_table.get(key.column.table.name)
        if target is not None and key.column.name == "id" and key.parent.name != "tenant_id":
            out[key.parent.name] = target
    for column in model.__table__.columns:
        if column.name in NAMED and column.name not in out:
            out[column.name] = NAMED[column.name] or entity_type
    return out


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _global(type_name: str, value: Any) -> Any:
    if isinstance(value, str) and _UUID.match(value):
        return to_global_id(type_name, uuid.UUID(value))
    return value


def _plain(value: Any) -> Any:
    """Nested JSON (a meeting's record, a rules object): camelCase keys, listed references as
    global IDs."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in LISTED and isinstance(item, list):
                item = [_global(LISTED[key], i) for i in item]
            out[camel(key) if isinstance(key, str) else key] = _plain(item)
        return out
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def entity(entity_type: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A snapshot of a row in the API's vocabulary."""
    if data is None:
        return None
    refs = references(entity_type)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in WITHHELD:
            continue
        if key == "id":
            value = _global(entity_type, value)
        elif key in refs:
            value = _global(refs[key], value)
        elif key in LISTED and isinstance(value, list):
            value = [_global(LISTED[key], v) for v in value]
        else:
            value = _plain(value)
        out[camel(key)] = value
    return out


def webhook_body(event: AuditEvent, municipality: str) -> dict[str, Any]:
    """``{version, type, municipality, occurredAt, data: {entityType, entityId, entity,
    previous}}``; the delivery's id is added when it is sent."""
    return {
        "version": VERSION,
        "type": event.action,
        "municipality": municipality,
        "occurredAt": event.occurred_at.isoformat(),
        "data": {
            "entityType": event.entity_type,
            "entityId": _global(event.entity_type, event.entity_id),
            "entity": entity(event.entity_type, event.after),
            "previous": entity(event.entity_type, event.before),
        },
    }
