"""A municipality's summary: the one platform-level table that reads tenant facts.

One row per municipality, rewritten by the unit of work in every transaction that changes the
municipality's content (``tenants/unit_of_work.py``), so that the consultancy's portfolio of
every municipality is one read, with no binding to each. It holds aggregates and the titles
and dates of the current plan's open milestones (published plan content), never citizens'
data: no contribution, no name, no e-mail. Figures that change with the calendar (which
milestones are delayed, days since the last report, open channels) are derived at read time
from the dates kept here, so they stay true between writes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow
from core.enums import ActionPlanStatus, CompletionLevel, db_enum
from core.ids import new_id


class MunicipalitySummary(Base):
    __tablename__ = "municipality_summaries"

    municipality_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("municipalities.id"), primary_key=True
    )
    #: The municipality's data version the summary was computed at.
    data_version: Mapped[int] = mapped_column(BigInteger, default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The current plan (``core/portfolio/service.CURRENT_FIRST``).
    plan_id: Mapped[uuid.UUID | None]
    plan_title: Mapped[str | None] = mapped_column(String(300))
    plan_status: Mapped[ActionPlanStatus | None] = mapped_column(
        db_enum(ActionPlanStatus, "summary_plan_status")
    )
    plan_progress: Mapped[float | None]
    plan_completion: Mapped[CompletionLevel | None] = mapped_column(
        db_enum(CompletionLevel, "summary_completion_level")
    )
    #: Commitments of the current plan by completion level: ``{"LIMITED": 3, ...}``.
    commitments_by_level: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The current plan's milestones neither completed nor cancelled, by end date:
    #: ``[["2026-03-31", "C1", "Ordenanza aprobada"], ...]``.
    open_milestones: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Their end dates alone, sorted, comma-separated (``2026-03-31,2026-06-30``): what the
    #: portfolio needs of every municipality to count delays, without decoding JSON.
    open_due_dates: Mapped[str] = mapped_column(Text, default="")
    #: Milestones completed, with when their completing report came: ``[["C1", "...",
    #: "2026-03-02T10:00:00+00:00"], ...]`` (the weekly digest's "newly completed").
    completed_milestones: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_report_at: Mapped[datetime | None]
    #: Validated diagnostics of the latest one's instrument: the first and the latest score.
    diagnostic_instrument: Mapped[str | None] = mapped_column(String(100))
    diagnostic_first_score: Mapped[float | None]
    diagnostic_latest_score: Mapped[float | None]
    diagnostic_latest_on: Mapped[date | None]
    #: The co-creation checklist of the current plan (``None``: no plugin checks it).
    checklist_met: Mapped[int | None]
    checklist_total: Mapped[int | None]
    #: Windows of the current plan's channels that had not closed: ``[[opens_at, closes_at]]``.
    channel_windows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Published proposals still waiting for a reasoned response.
    unanswered_contributions: Mapped[int] = mapped_column(default=0)


class StaffDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class StaffDelivery(Base):
    """An e-mail to one of the consultancy's staff (the weekly portfolio digest): the platform's
    outbox, as ``deliveries`` is each municipality's. Written once per person and week
    (``dedupe_key``), sent by the periodic run, retried with backoff."""

    __tablename__ = "staff_deliveries"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    recipient: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(8))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[StaffDeliveryStatus] = mapped_column(
        db_enum(StaffDeliveryStatus, "staff_delivery_status"), default=StaffDeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
