"""Audit events: append-only; every mutation records who, what, when and the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, utcnow
from core.ids import new_id


class AuditEvent(TenantOwned, Base):
    __bookkeeping__: ClassVar[bool] = True
    __tablename__ = "audit_events"
    __append_only__: ClassVar[bool] = True
    __table_args__ = (Index("ix_audit_events_entity", "tenant_id", "entity_type", "entity_id"),)

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(64))
    actor_subject: Mapped[str] = mapped_column(String(255))
    actor_role: Mapped[str] = mapped_column(String(64))
    #: True when a platform admin acted inside this municipality by binding to it explicitly.
    cross_tenant: Mapped[bool] = mapped_column(default=False)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class PlatformEvent(Base):
    """What happened to a municipality as a whole: exported, erased, imported.

    Platform-level (not row-level secured, no foreign key to the municipality), so the record
    of an erasure outlives the municipality it erased. Append-only like the audit trail. It
    names the municipality and counts what was moved or erased; it never holds its content.
    """

    __tablename__ = "platform_events"
    __append_only__: ClassVar[bool] = True
    __table_args__ = (Index("ix_platform_events_municipality", "municipality_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(100))
    municipality_id: Mapped[uuid.UUID]
    municipality_slug: Mapped[str] = mapped_column(String(63))
    actor_subject: Mapped[str] = mapped_column(String(255))
    actor_role: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
