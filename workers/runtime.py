"""Running one job: bind its municipality, claim it, run it, record the outcome.

Delivery is at least once, so every step is safe to repeat:

1. *claim* (own transaction): a job already ``SUCCEEDED`` or ``FAILED`` is a duplicate and
   ends here; otherwise it becomes ``RUNNING`` and its attempt is counted. Jobs of one
   municipality that arrive while a claim is in flight are claimed together by the next
   statement, so a busy worker commits one claim per batch rather than per job. On PostgreSQL
   the claim runs alone on asyncpg (``compiled_reads.alone``: three round trips);
2. *work* (own transaction, bound to the job's municipality): the body runs, then the job row
   is locked and marked ``SUCCEEDED`` with its result; a twin that finished first makes this
   one roll back. The body's database effects and the success commit together, so a worker
   killed mid-job leaves nothing behind and the redelivered message does the work once. A body
   that ran no statement and recorded nothing has nothing to commit with its success, which
   then runs alone like the claim;
3. on an error: the error is recorded; with attempts left the job goes back to ``QUEUED`` and
   the exception propagates (dramatiq retries with backoff), otherwise it is ``FAILED``. A
   :class:`PermanentError` (retrying cannot fix it) fails the job at once.

Every transaction goes through the unit of work (``tenants/unit_of_work.py``), so what a job
writes is audited, announced to webhooks and plugins, and followed up exactly as the same
change made through GraphQL; messages a job queues leave after its commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from core import observability as obs
from core.enums import MunicipalityStatus
from core.jobs.models import Job, JobStatus
from core.municipalities.models import Municipality
from core.settings import Settings
from plugins.events import unit_of_work
from plugins.manager import PluginRegistry
from plugins.records import JobContext, JobSpec
from tenants import compiled_reads, speed
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.unit_of_work import UnitOfWork, untouched
from tenants.versions import DataVersions, make_versions

log = logging.getLogger("usina.workers")
MUNICIPALITY_TTL = 30.0


class Superseded(Exception):
    """A twin delivery of the same job finished first; this one's work is rolled back."""


def worker_binding(municipality: Municipality) -> TenantBinding:
    """Workers act for the system: they see drafts, but only of the job's municipality."""
    return TenantBinding(
        tenant_id=municipality.id,
        slug=municipality.slug,
        sees_drafts=True,
        sees_evaluation_drafts=True,
    )


class PermanentError(Exception):
    """A failure that retrying cannot fix (a webhook receiver that refuses the request, a
    destination the platform may not call): the job fails now, without further attempts."""


@dataclass
class Runtime:
    """What a worker process needs, created lazily inside the worker's event loop."""

    settings: Settings
    registry: PluginRegistry
    specs: dict[str, JobSpec]
    dispatcher: Any = None
    database: Database | None = None
    _uow: UnitOfWork | None = field(default=None, repr=False)
    #: Where the jobs' commits publish their data versions: the app's own when every loop may
    #: use it (in memory); otherwise the runtime makes one in its loop and closes it there.
    versions: DataVersions | None = None
    _own_versions: DataVersions | None = field(default=None, repr=False)
    #: Municipalities by id, with when they were read: a job does not re-read its
    #: municipality when one was read in the last ``MUNICIPALITY_TTL`` seconds.
    _municipalities: dict[uuid.UUID, tuple[Municipality, float]] = field(
        default_factory=dict, repr=False
    )
    #: Claims, successes that commit alone, and municipalities to read, waiting for their
    #: next statement (a worker starting on a full queue reads its municipalities once, not
    #: once per job in hand).
    _claims: _Together = field(init=False, repr=False)
    _finishes: _Together = field(init=False, repr=False)
    _reads: _Together = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._claims = _Together(self._claim_many)
        self._finishes = _Together(self._finish_many, once=True)
        self._reads = _Together(self._read_municipalities)

    @property
    def db(self) -> Database:
        if self.database is None:
            options: dict[str, Any] = {}
            if not self.settings.database_url.startswith("sqlite"):
                # Every worker thread holds a connection through its job: a smaller pool
                # would open and close connections for each job beyond it.
                options["pool_size"] = self.settings.worker_threads + 2
            self.database = Database.from_url(
                self.settings.database_url, echo=self.settings.sql_echo, **options
            )
        return self.database

    @property
    def uow(self) -> UnitOfWork:
        if self._uow is None:
            if self.versions is None:
                self.versions = self._own_versions = make_versions(self.settings)
            self._uow = unit_of_work(
                self.db, self.registry, self.dispatcher, versions=self.versions
            )
        return self._uow

    async def close(self) -> None:
        """Close what the runtime opened in its event loop (on that loop)."""
        if self.database is not None:
            await self.database.dispose()
            self.database = None
        if self._own_versions is not None:
            await self._own_versions.close()
            self.versions = self._own_versions = None
        self._uow = None

    async def run(self, kind: str, tenant_id: str, job_id: str) -> None:
        speed.FAST.set(self.settings.engine == "fast")  # this job's task only
        spec = self.specs[kind]
        tenant, job_key = uuid.UUID(tenant_id), uuid.UUID(job_id)
        municipality = await self._municipality(tenant)
        if municipality is None:
            log.warning("job %s names no municipality %s; dropped", job_id, tenant_id)
            return
        binding = worker_binding(municipality)
        if municipality.status is MunicipalityStatus.SUSPENDED:
            # Nothing runs for a suspended municipality; retryJob after reactivating it.
            await self._refuse(binding, job_key, "the municipality is suspended")
            obs.JOBS.labels(kind, "refused").inc()
            return
        obs.TENANT.set(municipality.slug)
        obs.PRINCIPAL.set(f"job:{kind}")
        job = await self._claim(binding, job_key, spec)
        if job is None:
            obs.JOBS.labels(kind, "duplicate").inc()
            return
        started = time.perf_counter()
        try:
            async with self.uow.transaction(binding) as session:
                context = self._context(session, job, spec, municipality)
                async with asyncio.timeout(spec.time_limit_seconds):
                    result = await spec.run(context)
                values = {
                    "tenant": binding.tenant_id,
                    "job": job_key,
                    "result": dict(result) if result is not None else None,
                    "now": datetime.now(UTC),
                }
                finished: Sequence[Any] | None = None
                if untouched(session):  # nothing to commit with it: the success alone
                    if result is None:  # together with other such successes
                        finished = [True] if await self._finishes(binding, job_key) else []
                    else:
                        finished = await self._alone(binding, _FINISH, values)
                if finished is None:
                    connection = await session.connection()
                    finished = (
                        await compiled_reads.rows(connection, _FINISH, values)
                        if speed.FAST.get()
                        else (await connection.execute(_FINISH, values)).all()
                    )
                if not finished:  # gone, or a twin succeeded first
                    raise Superseded(job_id)
            obs.JOBS.labels(kind, "succeeded").inc()
        except Superseded:
            obs.JOBS.labels(kind, "duplicate").inc()
            log.info("job %s finished by a twin delivery", job_id)
        except Exception as error:  # recorded on the job, then retried or failed
            final = await self._failed(binding, job_key, error, spec)
            obs.JOBS.labels(kind, "failed" if final else "retried").inc()
            if not final:
                raise
        finally:
            obs.JOB_LATENCY.labels(kind).observe(time.perf_counter() - started)

    async def _municipality(self, tenant: uuid.UUID) -> Municipality | None:
        cached = self._municipalities.get(tenant)
        if cached is not None and time.monotonic() - cached[1] < MUNICIPALITY_TTL:
            return cached[0]
        municipality: Municipality | None = await self._reads(None, tenant)
        return municipality

    async def _read_municipalities(
        self, _: None, tenants: list[uuid.UUID]
    ) -> dict[uuid.UUID, Municipality]:
        async with self.db.session(None) as session:
            read = (
                await session.execute(select(Municipality).where(Municipality.id.in_(tenants)))
            ).scalars()
            municipalities = {municipality.id: municipality for municipality in read}
        now = time.monotonic()
        for tenant, municipality in municipalities.items():
            self._municipalities[tenant] = (municipality, now)
        return municipalities

    async def _refuse(self, binding: TenantBinding, job_id: uuid.UUID, reason: str) -> None:
        async with self.uow.transaction(binding) as session:
            job = await self._locked(session, job_id)
            if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                job.status = JobStatus.FAILED
                job.error = reason
                job.finished_at = datetime.now(UTC)

    async def _claim(self, binding: TenantBinding, job_id: uuid.UUID, spec: JobSpec) -> Any:
        """The job, now RUNNING with its attempt counted; ``None`` for a duplicate delivery
        (already finished) or a job of nobody."""
        return await self._claims((binding, spec.max_attempts), job_id)

    async def _claim_many(
        self, key: tuple[TenantBinding, int], jobs: list[uuid.UUID]
    ) -> dict[uuid.UUID, Any]:
        binding, max_attempts = key
        values = {
            "tenant": binding.tenant_id,
            "jobs": jobs,
            "max_attempts": max_attempts,
            "now": datetime.now(UTC),
        }
        return {row.id: row for row in await self._committed(binding, _CLAIM, values)}

    async def _finish_many(
        self, binding: TenantBinding, jobs: list[uuid.UUID]
    ) -> dict[uuid.UUID, Any]:
        """The successes of ``jobs`` (bodies that wrote nothing and returned nothing), in one
        statement: each job's row, or none where a twin succeeded first."""
        values = {
            "tenant": binding.tenant_id,
            "jobs": jobs,
            "result": None,
            "now": datetime.now(UTC),
        }
        return {row.id: row for row in await self._committed(binding, _FINISH_MANY, values)}

    async def _committed(
        self, binding: TenantBinding, statement: Any, values: dict[str, Any]
    ) -> Sequence[Any]:
        """The rows of a bookkeeping ``statement`` committed by itself."""
        rows: Sequence[Any] | None = await self._alone(binding, statement, values)
        if rows is None:
            async with self.uow.transaction(binding) as session:
                connection = await session.connection()
                rows = (await connection.execute(statement, values)).all()
        return rows

    async def _alone(
        self, binding: TenantBinding, statement: Any, values: dict[str, Any]
    ) -> list[Any] | None:
        """The rows of a bookkeeping ``statement`` committed by itself in three round trips
        (``tenants/compiled_reads.py``); ``None`` where SQLAlchemy must run it (SQLite)."""
        engine = self.db.engine
        plan = compiled_reads.compiled(statement, engine.dialect) if speed.FAST.get() else None
        if plan is None:  # SQLite, or USINA_ENGINE=stock
            return None
        return await compiled_reads.alone(engine, binding.tenant_id, plan, values)

    async def _failed(
        self, binding: TenantBinding, job_id: uuid.UUID, error: BaseException, spec: JobSpec
    ) -> bool:
        text = f"{type(error).__name__}: {error}"[:2000]
        async with self.uow.transaction(binding) as session:
            job = await self._locked(session, job_id)
            if job is None or job.status is JobStatus.SUCCEEDED:
                return True
            final = job.attempts >= spec.max_attempts or isinstance(error, PermanentError)
            job.error = text
            job.status = JobStatus.FAILED if final else JobStatus.QUEUED
            if final:
                job.finished_at = datetime.now(UTC)
            if spec.on_failure is not None:
                await spec.on_failure(self._context(session, job, spec, None), error, final)
        log.warning("job %s (%s) attempt failed: %s", job_id, spec.name, text)
        return final

    def _context(
        self, session: Any, job: Any, spec: JobSpec, municipality: Municipality | None
    ) -> JobContext:
        return JobContext(
            session=session,
            args=dict(job.args),
            municipality=municipality,
            settings=self.settings,
            job_id=job.id,
            attempt=job.attempts,
            max_attempts=spec.max_attempts,
        )

    @staticmethod
    async def _locked(session: Any, job_id: uuid.UUID) -> Job | None:
        """The job row, locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
        result = await session.execute(
            select(Job)
            .where(Job.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()


class _Together:
    """A statement over many rows by id (jobs to claim or finish, municipalities to read): the
    jobs that ask while one runs for the same key wait and go together in the next, so a busy
    worker runs one statement per batch rather than per job, and an idle one does not wait.

    ``execute(key, ids)`` runs the statement for ``ids``; each asker gets its row, or ``None``.
    With ``once``, twin deliveries of a job asking together get its row once: the first one,
    the others ``None`` (as a twin's own statement, run after, would have matched nothing).
    """

    def __init__(
        self,
        execute: Callable[[Any, list[uuid.UUID]], Awaitable[dict[uuid.UUID, Any]]],
        *,
        once: bool = False,
    ) -> None:
        self.execute = execute
        self.once = once
        self.waiting: dict[Any, dict[uuid.UUID, list[asyncio.Future[Any]]]] = {}
        self.running: set[Any] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, key: Any, row_id: uuid.UUID) -> Any:
        row: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(key, {}).setdefault(row_id, []).append(row)
        if key not in self.running:
            self.running.add(key)
            task = asyncio.create_task(self._batches(key))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await row

    async def _batches(self, key: Any) -> None:
        """The waiting ids of ``key`` in one statement, then those that arrived meanwhile,
        until none wait."""
        try:
            while batch := self.waiting.pop(key, None):
                try:
                    rows = await self.execute(key, list(batch))
                except Exception as error:
                    for _, waiter in _waiting(batch):
                        waiter.set_exception(error)
                    continue
                except BaseException:  # cancelled (the worker stops): so are its waiters
                    for _, waiter in _waiting(batch):
                        waiter.cancel()
                    raise
                for job_id, waiter in _waiting(batch):
                    waiter.set_result(rows.pop(job_id, None) if self.once else rows.get(job_id))
        finally:
            self.running.discard(key)


def _waiting(
    batch: dict[uuid.UUID, list[asyncio.Future[Any]]],
) -> Iterator[tuple[uuid.UUID, asyncio.Future[Any]]]:
    """The (job, waiter) pairs of ``batch`` whose waiter still waits (not cancelled)."""
    for job_id, waiters in batch.items():
        for waiter in waiters:
            if not waiter.done():
                yield job_id, waiter


# The claim of a batch of jobs and a job's success, one statement each (the rows are locked by
# the UPDATE itself; a twin's UPDATE waits for it, then finds the status changed and matches
# nothing).
_JOBS: Any = Job.__table__
_CLAIM = (
    update(_JOBS)
    .where(
        _JOBS.c.tenant_id == bindparam("tenant"),
        _JOBS.c.id.in_(bindparam("jobs", expanding=True)),
        _JOBS.c.status.not_in([JobStatus.SUCCEEDED, JobStatus.FAILED]),
    )
    .values(
        status=JobStatus.RUNNING,
        attempts=_JOBS.c.attempts + 1,
        max_attempts=bindparam("max_attempts"),
        started_at=bindparam("now", type_=_JOBS.c.started_at.type),
        updated_at=bindparam("now", type_=_JOBS.c.updated_at.type),
    )
    .returning(_JOBS.c.id, _JOBS.c.args, _JOBS.c.attempts)
)
#: A success: the job's result, its error cleared, when it finished.
_SUCCEEDED: dict[str, Any] = {
    "status": JobStatus.SUCCEEDED,
    "result": bindparam("result", type_=_JOBS.c.result.type),
    "error": None,
    "finished_at": bindparam("now", type_=_JOBS.c.finished_at.type),
    "updated_at": bindparam("now", type_=_JOBS.c.updated_at.type),
}
_FINISH = (
    update(_JOBS)
    .where(
        _JOBS.c.tenant_id == bindparam("tenant"),
        _JOBS.c.id == bindparam("job"),
        _JOBS.c.status != JobStatus.SUCCEEDED,
    )
    .values(_SUCCEEDED)
    .returning(_JOBS.c.id)
)
#: The successes of many jobs with the same result (bodies that wrote and returned nothing).
_FINISH_MANY = (
    update(_JOBS)
    .where(
        _JOBS.c.tenant_id == bindparam("tenant"),
        _JOBS.c.id.in_(bindparam("jobs", expanding=True)),
        _JOBS.c.status != JobStatus.SUCCEEDED,
    )
    .values(_SUCCEEDED)
    .returning(_JOBS.c.id)
)
