"""Open Government Action Plans."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped
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
