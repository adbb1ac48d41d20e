"""Commitments, following the OGP action-plan template."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, Timestamped


class Commitment(Timestamped, PlanScoped, Base):
    __tablename__ = "commitments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id"], ["action_plans.tenant_id", "action_plans.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "lead_agency_id"], ["actors.tenant_id", "actors.id"]),
        UniqueConstraint("tenant_id", "plan_id", "code"),
        # Target of the milestones' foreign key, which keeps a milestone in its commitment's plan.
        UniqueConstraint("tenant_id", "plan_id", "id"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
    )

    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    problem: Mapped[str] = mapped_column(Text, default="")
    status_quo: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    contribution: Mapped[str] = mapped_column(Text, default="")
    ogp_values: Mapped[list[str]] = mapped_column(default=list)
    lead_agency_id: Mapped[uuid.UUID | None]
    start_date: Mapped[date]
    end_date: Mapped[date]
    tags: Mapped[list[str]] = mapped_column(default=list)
    #: False for a commitment added to a published plan, until its changes are published.
    public: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: Changes made since the plan's last published version (``core/plans/versions.py``).
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)


class CommitmentSupporter(PlanScoped, Base):
    """An actor that supports a commitment (besides its lead agency)."""

    __tablename__ = "commitment_supporters"
    #: Links are replaced when a commitment's supporters change: the one deletable table.
    __deletable__ = True
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
        ),
        ForeignKeyConstraint(["tenant_id", "actor_id"], ["actors.tenant_id", "actors.id"]),
        UniqueConstraint("tenant_id", "commitment_id", "actor_id"),
    )

    commitment_id: Mapped[uuid.UUID]
    actor_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(default=0)
