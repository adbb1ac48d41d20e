"""Traceability: which diagnostic gaps and which contributions a commitment answers."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, PlanScoped


class CommitmentGap(PlanScoped, Base):
    """The commitment addresses this indicator of this assessment."""

    __tablename__ = "commitment_gaps"
    __deletable__ = True
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
        ),
        ForeignKeyConstraint(
            ["tenant_id", "assessment_id"], ["assessments.tenant_id", "assessments.id"]
        ),
        UniqueConstraint("tenant_id", "commitment_id", "assessment_id", "indicator"),
    )

    commitment_id: Mapped[uuid.UUID]
    assessment_id: Mapped[uuid.UUID]
    indicator: Mapped[str] = mapped_column(String(64))


class CommitmentContribution(PlanScoped, Base):
    """The commitment takes up this contribution (an accepted proposal)."""

    __tablename__ = "commitment_contributions"
    __deletable__ = True
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id", "commitment_id"],
            ["commitments.tenant_id", "commitments.plan_id", "commitments.id"],
        ),
        ForeignKeyConstraint(
            ["tenant_id", "contribution_id"], ["contributions.tenant_id", "contributions.id"]
        ),
        UniqueConstraint("tenant_id", "commitment_id", "contribution_id"),
    )

    commitment_id: Mapped[uuid.UUID]
    contribution_id: Mapped[uuid.UUID]
