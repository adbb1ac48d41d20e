"""Enqueueing background jobs from plugins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import SYSTEM
from core.jobs import service as jobs
from core.jobs.models import Job


async def enqueue_job(
    session: AsyncSession,
    kind: str,
    args: dict[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
) -> Job:
    """Queue a job of ``kind`` for the session's municipality; it is sent to the workers when
    the session's transaction commits (and not at all if it rolls back)."""
    return await jobs.enqueue(session, SYSTEM, kind, args, idempotency_key=idempotency_key)
