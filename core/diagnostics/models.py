"""Generic storage of diagnostics: an assessment and its answers. The instrument (dimensions,
indicators, answers, scoring) belongs to a plugin; the assessment records which instrument and
which version it used, so that two assessments can be compared over time."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped
from core.enums import AssessmentStatus, db_enum


class Assessment(Timestamped, TenantOwned, Base):
    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_instrument", "tenant_id", "instrument", "assessed_on"),)

    instrument: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    assessed_on: Mapped[date]
    status: Mapped[AssessmentStatus] = mapped_column(
        db_enum(AssessmentStatus, "assessment_status"), default=AssessmentStatus.DRAFT
    )
    # Scores are recomputed whenever an answer changes, and kept with the assessment.
    overall_score: Mapped[float | None]
    dimension_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rating: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[datetime | None]
    validated_at: Mapped[datetime | None]


class AssessmentAnswer(Timestamped, TenantOwned, Base):
    __tablename__ = "assessment_answers"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "assessment_id"], ["assessments.tenant_id", "assessments.id"]
        ),
        UniqueConstraint("tenant_id", "assessment_id", "indicator"),
    )

    assessment_id: Mapped[uuid.UUID]
    indicator: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(64))
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(255))
