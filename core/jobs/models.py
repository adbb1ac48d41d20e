"""Job records, and the files that export jobs produce.

A job is one message to the workers: its row is created (``queued``) in the transaction that
asks for it, and the message is sent only after that transaction commits. The row is the
source of truth: a duplicate delivery finds it finished and does nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import ForeignKeyConstraint, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped, utcnow
from core.enums import db_enum


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Job(Timestamped, TenantOwned, Base):
    __bookkeeping__: ClassVar[bool] = True
    __tablename__ = "jobs"
    __table_args__ = (
        Index("uq_jobs_idempotency_key", "tenant_id", "idempotency_key", unique=True),
        Index("ix_jobs_status", "tenant_id", "status", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(100))
    status: Mapped[JobStatus] = mapped_column(
        db_enum(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Set for jobs that must happen once per key (a day's monitoring, an event's webhook).
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=1)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ExportFile(TenantOwned, Base):
    """A file an export job produced (kept in the database, so every replica serves it)."""

    __bookkeeping__: ClassVar[bool] = True

    __tablename__ = "export_files"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "job_id"], ["jobs.tenant_id", "jobs.id"]),)

    job_id: Mapped[uuid.UUID] = mapped_column()
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
