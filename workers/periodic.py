"""The periodic work: what ``usina jobs enqueue-periodic`` (a Kubernetes CronJob) runs, and the
embedded default runs itself every few minutes.

Safe to run as often as one likes: the day's monitoring and the week's digests have idempotency
keys (one job per municipality per day or week, one portfolio digest per consultant per week),
and the sweep only re-sends messages of jobs that should have started by now (a message lost
between a commit and its send, or a worker of the embedded default that stopped with the
process). The staff's e-mails that are due are sent after it (``send_staff_mail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select

from core.enums import MunicipalityStatus
from core.identity.principal import SYSTEM
from core.jobs import service as jobs
from core.jobs.models import Job, JobStatus
from core.jobs.service import iso_week
from core.municipalities.models import Municipality
from core.portfolio import digest
from core.settings import Settings
from tenants.database import Database
from tenants.unit_of_work import UnitOfWork
from workers.builtin import DELAYS, DIGEST
from workers.runtime import worker_binding

#: A queued job older than this, or a running one started longer ago than this, is re-sent.
QUEUED_GRACE = timedelta(minutes=2)
RUNNING_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class PeriodicReport:
    municipalities: int
    enqueued: int
    resent: int
    #: Weekly portfolio digests written to the staff's outbox now (``core/portfolio/digest``).
    digests: int = 0


async def enqueue_periodic(
    uow: UnitOfWork, today: date | None = None, *, queued_grace: timedelta = QUEUED_GRACE
) -> PeriodicReport:
    """Today's monitoring and this week's digest for every active municipality, and the jobs
    that should have started, re-sent (by ``uow``'s dispatcher, after each commit).

    ``queued_grace`` is how long a queued job may wait before its message counts as lost:
    none where messages live in memory and the process holding them is gone (the embedded
    default starting up, or its CLI)."""
    today = today or datetime.now(UTC).date()
    now = datetime.now(UTC)
    async with uow.db.session(None) as session:
        active = list(
            (
                await session.execute(
                    select(Municipality).where(Municipality.status == MunicipalityStatus.ACTIVE)
                )
            ).scalars()
        )
    enqueued = resent = 0
    for municipality in active:
        async with uow.transaction(worker_binding(municipality)) as session:
            for kind, args, key in (
                (DELAYS, {"date": today.isoformat()}, f"delays:{today.isoformat()}"),
                (
                    DIGEST,
                    {"week": iso_week(today), "date": today.isoformat()},
                    f"digest:{iso_week(today)}",
                ),
            ):
                before = len(session.info.get(jobs.PENDING_JOBS, []))
                await jobs.enqueue(session, SYSTEM, kind, args, idempotency_key=key)
                enqueued += len(session.info.get(jobs.PENDING_JOBS, [])) - before
            stale = await session.execute(
                select(Job).where(
                    or_(
                        (Job.status == JobStatus.QUEUED) & (Job.updated_at <= now - queued_grace),
                        (Job.status == JobStatus.RUNNING) & (Job.started_at < now - RUNNING_GRACE),
                    )
                )
            )
            for job in stale.scalars():
                jobs.pending(session, job)
                resent += 1
    async with uow.db.session(None) as session:  # the platform's own: the consultants' digest
        digests = await digest.queue(session, today)
    return PeriodicReport(
        municipalities=len(active), enqueued=enqueued, resent=resent, digests=digests
    )


async def send_staff_mail(db: Database, settings: Settings) -> tuple[int, int]:
    """Send the staff's e-mails that are due (the weekly digest): ``(sent, given up)``."""
    return await digest.send_pending(lambda: db.session(None), settings)
