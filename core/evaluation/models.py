"""Generic evaluation records: a framework (a plugin's) applied to a plan or a commitment, with
one rating per criterion and its justification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped, Timestamped
from core.enums import EvaluationStatus, EvaluationTarget, db_enum


class Evaluation(Timestamped, PlanScoped, Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id"], ["action_plans.tenant_id", "action_plans.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
        ),
        UniqueConstraint("tenant_id", "plan_id", "id"),
    )

    framework: Mapped[str] = mapped_column(String(100))
    framework_version: Mapped[str] = mapped_column(String(32))
    target: Mapped[EvaluationTarget] = mapped_column(db_enum(EvaluationTarget, "evaluation_target"))
    commitment_id: Mapped[uuid.UUID | None]
    status: Mapped[EvaluationStatus] = mapped_column(
        db_enum(EvaluationStatus, "evaluation_status"), default=EvaluationStatus.DRAFT
    )
    reviewer: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime | None]


class Rating(Timestamped, PlanScoped, Base):
    """A criterion's rating. ``derived`` is what the framework computed from data; ``value`` is
    the rating in force: the derived one, or a reviewer's override (justification required)."""

    __tablename__ = "ratings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "evaluation_id"],
            ["evaluations.tenant_id", "evaluations.plan_id", "evaluations.id"],
        ),
        UniqueConstraint("tenant_id", "evaluation_id", "criterion"),
    )

    evaluation_id: Mapped[uuid.UUID]
    criterion: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(100))
    derived: Mapped[str | None] = mapped_column(String(100))
    overridden: Mapped[bool] = mapped_column(default=False)
    justification: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
