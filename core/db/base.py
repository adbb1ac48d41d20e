"""Declarative base and the mixins every tenant-owned table uses.

A tenant-owned table is keyed ``(tenant_id, id)`` and every foreign key between such tables
includes ``tenant_id``, so the database itself refuses a row of one municipality that points at
another's (and a distributed PostgreSQL can co-locate a tenant's rows by ``tenant_id``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Dialect, ForeignKey, MetaData, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every dialect; SQLite stores them as naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # PostgreSQL's columns are ``timestamptz``: its drivers return aware datetimes, so no
        # call per value (a portal read has hundreds).
        if dialect.name == "postgresql":
            return self.impl_instance.result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @property
    def python_type(self) -> type[datetime]:
        return datetime


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
        datetime: UTCDateTime(),
        uuid.UUID: Uuid,
    }


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantOwned:
    """Mixin: a row that belongs to exactly one municipality.

    ``tenant_id`` is filled from the session's bound municipality when left empty; the flush
    guard in ``tenants/isolation.py`` refuses any other value.
    """

    #: Append-only tables refuse updates and deletes (ORM guard, SQLite triggers, PG grants).
    __append_only__: ClassVar[bool] = False
    #: Bookkeeping tables record what happened (audit events, jobs, deliveries, files);
    #: writing them does not change the municipality's content, so its data version stays.
    __bookkeeping__: ClassVar[bool] = False

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("municipalities.id"), primary_key=True, sort_order=-3
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-2)


class PlanScoped(TenantOwned):
    """Mixin: a tenant-owned row that lives under one action plan.

    Carrying ``plan_id`` on every row below a plan lets one visibility rule (drafts are not
    public) apply to all of them without joins spread across resolvers.
    """

    plan_id: Mapped[uuid.UUID] = mapped_column(sort_order=-1)
