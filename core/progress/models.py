"""Progress reports: append-only, one per report on a milestone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, utcnow
from core.enums import MilestoneStatus, db_enum


class ProgressReport(PlanScoped, Base):
    __tablename__ = "progress_reports"
    __append_only__: ClassVar[bool] = True
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "milestone_id"],
            ["milestones.tenant_id", "milestones.plan_id", "milestones.id"],
        ),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
        Index("ix_progress_reports_milestone", "tenant_id", "milestone_id", "reported_at"),
    )

    milestone_id: Mapped[uuid.UUID]
    percent: Mapped[float]
    status: Mapped[MilestoneStatus] = mapped_column(db_enum(MilestoneStatus, "milestone_status"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    author_subject: Mapped[str] = mapped_column(String(255))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
