"""Writing audit events. Every service that changes data calls :func:`record`."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.identity.principal import Principal
from core.identity.roles import STAFF_ROLES


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The column values of a mapped object, JSON-ready."""
    mapper = inspect(obj).mapper
    return {attr.key: _jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def record(
    session: AsyncSession,
    by: Principal,
    action: str,
    entity: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Append an audit event to the session (flushed with the change it describes)."""
    event = AuditEvent(
        action=action,
        entity_type=type(entity).__name__,
        entity_id=str(entity.id),
        actor_subject=by.subject,
        actor_role=by.role.value if by.role else "anonymous",
        cross_tenant=by.role in STAFF_ROLES,
        before=before,
        after=after if after is not None else snapshot(entity),
    )
    if tenant_id is not None:
        event.tenant_id = tenant_id
    session.add(event)
    # Kept on the session so that, once committed, the change can be announced as a domain
    # event (plugins' on_event hooks, webhooks) without a second bookkeeping mechanism.
    session.info.setdefault(PENDING_EVENTS, []).append(event)
    return event


PENDING_EVENTS = "usina_pending_audit_events"


def take_pending(session: AsyncSession) -> list[AuditEvent]:
    """The audit events written since the last call (call after commit)."""
    pending: list[AuditEvent] = session.info.pop(PENDING_EVENTS, [])
    return pending
