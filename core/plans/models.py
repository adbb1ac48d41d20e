"""Open Government Action Plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, TenantOwned, Timestamped
from core.enums import ActionPlanStatus, db_enum


class ActionPlan(Timestamped, TenantOwned, Base):
    __tablename__ = "action_plans"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        Index("ix_action_plans_tenant_status", "tenant_id", "status"),
    )

    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date]
    status: Mapped[ActionPlanStatus] = mapped_column(
        db_enum(ActionPlanStatus, "action_plan_status"), default=ActionPlanStatus.DRAFT
    )
    #: True once the plan has left DRAFT: the public sees it (and everything under it) from then
    #: on, archived or not. A plan archived straight from DRAFT stays private.
    is_public: Mapped[bool] = mapped_column(default=False)
    # When each lifecycle state was entered.
    cocreation_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    implementation_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    #: Once published, editors' changes wait here until published (``core/plans/versions.py``).
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)


class PlanVersion(PlanScoped, Base):
    """A published version: the plan, its commitments and milestones as citizens read them
    from ``published_at`` on, and what changed since the version before. Append-only."""

    __tablename__ = "plan_versions"
    __append_only__: ClassVar[bool] = True
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id"], ["action_plans.tenant_id", "action_plans.id"]
        ),
        UniqueConstraint("tenant_id", "plan_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    number: Mapped[int]
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text, default="")
    #: The plan as published: its text fields, commitments and milestones (camelCase keys).
    content: Mapped[dict[str, Any]]
    #: What changed since the version before (empty for the first): one entry per record.
    changes: Mapped[list[dict[str, Any]]]
