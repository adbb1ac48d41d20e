"""Milestones: verifiable deliverables of a commitment."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, Timestamped
from core.enums import MilestoneStatus, db_enum


class Milestone(Timestamped, PlanScoped, Base):
    __tablename__ = "milestones"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
        ),
        UniqueConstraint("tenant_id", "plan_id", "id"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint("weight >= 0", name="weight_non_negative"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index("ix_milestones_commitment", "tenant_id", "commitment_id"),
    )

    commitment_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(300))
    deliverable: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date]
    weight: Mapped[float] = mapped_column(default=1.0)
    # The milestone's state is its latest progress report, copied here in the same transaction
    # that appends the report, so that reads never scan report history.
    status: Mapped[MilestoneStatus] = mapped_column(
        db_enum(MilestoneStatus, "milestone_status"), default=MilestoneStatus.NOT_STARTED
    )
    progress: Mapped[float] = mapped_column(default=0.0)
    last_reported_at: Mapped[datetime | None]
