"""Milestones: verifiable deliverables of a commitment."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, Timestamped
from core.enums import MilestoneStatus, db_enum

#: A milestone in one of these states is done with: it is never delayed.
FINISHED = (MilestoneStatus.COMPLETED, MilestoneStatus.CANCELLED)


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
    #: False for a milestone added to a published plan, until its changes are published.
    public: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: Changes made since the plan's last published version (``core/plans/versions.py``).
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)

    @hybrid_method
    def is_delayed_on(self, today: date) -> bool:
        """Delayed: past its end date and neither completed nor cancelled. The one rule, in
        Python for a loaded row and in SQL (``Milestone.is_delayed_on(today)``) for queries."""
        return is_delayed(self.end_date, self.status, today)

    @is_delayed_on.expression
    @classmethod
    def _is_delayed_on(cls, today: Any) -> ColumnElement[bool]:
        return and_(cls.end_date < today, cls.status.not_in(FINISHED))


def is_delayed(end_date: date, status: MilestoneStatus, today: date) -> bool:
    """The rule of ``Milestone.is_delayed_on`` for a row's values (a Core row has no method)."""
    return end_date < today and status not in FINISHED
