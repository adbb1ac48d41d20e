"""Asking for jobs, retrying failed ones, and handing them to the workers after commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core.audit import service as audit
from core.errors import Conflict
from core.i18n import msg
from core.identity.principal import Principal
from core.jobs.models import Job, JobStatus

#: ``session.info`` key: jobs created in the session's transaction, sent once it commits.
log = logging.getLogger("usina.jobs")

PENDING_JOBS = "usina_pending_jobs"


@dataclass(frozen=True)
class Pending:
    tenant_id: uuid.UUID
    job_id: uuid.UUID
    kind: str


class Dispatcher(Protocol):
    """Sends a job's message to the workers (``workers/broker.py`` implements it)."""

    def send(self, pending: Pending) -> None: ...


def iso_week(day: date) -> str:
    """``2026-W49``: the week a digest covers."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def enqueue(
    session: AsyncSession,
    by: Principal,
    kind: str,
    args: dict[str, Any] | None = None,
    *,
    idempotency_key: str | None = None,
    audited: bool = False,
) -> Job:
    """A queued job, sent when the session's transaction commits. With an
    ``idempotency_key``, asking twice returns the first job."""
    if idempotency_key is not None:
        found = await find_by_key(session, idempotency_key)
        if found is not None:
            return found
    job = Job(
        kind=kind, args=dict(args or {}), idempotency_key=idempotency_key, created_by=by.subject
    )
    if idempotency_key is None:
        session.add(job)
        await session.flush()
    else:
        try:
            async with session.begin_nested():  # a concurrent twin may have won the key
                session.add(job)
                await session.flush()
        except IntegrityError:
            found = await find_by_key(session, idempotency_key)
            assert found is not None
            return found
    if audited:
        audit.record(session, by, "job.enqueue", job)
    pending(session, job)
    return job


def pending(session: AsyncSession, job: Job) -> None:
    session.info.setdefault(PENDING_JOBS, []).append(Pending(job.tenant_id, job.id, job.kind))


def take_pending(session: AsyncSession) -> list[Pending]:
    return list(session.info.pop(PENDING_JOBS, []))


def send_all(dispatcher: Dispatcher | None, jobs: Iterable[Pending]) -> None:
    """Send committed jobs to the workers. A job the broker does not take now (Redis away)
    stays QUEUED in the database, the outbox: the periodic sweep sends it again."""
    if dispatcher is None:
        return
    for job in jobs:
        try:
            dispatcher.send(job)
        except Exception as error:  # the job is committed; its sending is retried, not lost
            log.warning("job %s (%s) not sent now: %s", job.job_id, job.kind, error)


async def find_by_key(session: AsyncSession, key: str) -> Job | None:
    result = await session.execute(select(Job).where(Job.idempotency_key == key))
    return result.scalar_one_or_none()


async def retry(session: AsyncSession, by: Principal, job_id: uuid.UUID) -> Job:
    """Queue a failed job again, with a fresh allowance of attempts."""
    job = await lookups.get(session, Job, job_id, field="id")
    if job.status is not JobStatus.FAILED:
        raise Conflict(
            msg(
                f"Only failed jobs can be retried (this one is {job.status}).",
                f"Solo se reintentan trabajos fallidos (este está {job.status}).",
                f"Só trabalhos que falharam são repetidos (este está {job.status}).",
            ),
            field="id",
        )
    before = audit.snapshot(job)
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.error = None
    job.finished_at = None
    await session.flush()
    audit.record(session, by, "job.retry", job, before=before)
    pending(session, job)
    return job
