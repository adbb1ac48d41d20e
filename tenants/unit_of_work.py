"""One unit of work for every writer: GraphQL mutations, jobs, plugins, the CLI, provisioning.

Bound to one municipality, a unit of work commits in one transaction:

- the change itself, and the audit events its services recorded (``core.audit.service``);
- the outbox: a webhook delivery per (endpoint that wants it, event) and the follow-up jobs
  the events call for (a recompute after a progress report or a KPI value);
- the municipality's data version, bumped when the transaction changed its content (portals'
  ETags and the response cache key on it).

After the commit, and only then, it publishes the new data version to every process
(``tenants/versions.py``), sends the queued jobs to the workers and tells its listeners (the
plugins' ``on_event``, caches) what was committed. When anything fails, the transaction rolls
back and none of it happens: no event, no job, no version.

It lives in ``tenants`` because a unit of work *is* a binding to one municipality: the
isolation listeners, the data version and the outbox all key on it. ``plugins`` and the web
layer sit above and plug in as listeners, so this module never imports them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from core.audit.models import AuditEvent
from core.audit.service import PENDING_EVENTS, take_pending
from core.jobs import follow_ups
from core.jobs import service as jobs
from core.municipalities.models import Municipality
from core.notifications import service as notifications
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.isolation import TenantSession
from tenants.versions import DataVersions

log = logging.getLogger("usina.uow")

#: ``session.info`` key: the transaction changed content rows (not only bookkeeping).
CHANGED = "usina_content_changed"


class CommitWatch(Protocol):
    """Told, in the task that runs a unit of work, when it is about to commit and when it
    has. The web layer lifts the request's deadline at ``before`` (a deadline stops only
    work that has not committed: once COMMIT is sent, the answer must say what happened) and
    notes at ``after`` that the request's write is durable. ``before`` may raise to abort."""

    def before(self) -> None: ...

    def after(self) -> None: ...


#: The watch of the request or job running in this context, if any.
COMMIT_WATCH: ContextVar[CommitWatch | None] = ContextVar("usina_commit_watch", default=None)


@dataclass(frozen=True)
class Committed:
    """What one unit of work committed, handed to listeners after the commit."""

    binding: TenantBinding
    events: tuple[AuditEvent, ...]
    jobs: tuple[jobs.Pending, ...]
    #: The municipality's data version after the commit; ``None`` when its content did not
    #: change (only bookkeeping was written: a job's status, an audit event of a sign-in).
    data_version: int | None
    #: The writer's session, usable for reads after the commit (a new transaction, bound to
    #: the same municipality). Listeners never write through it.
    session: AsyncSession


Listener = Callable[[Committed], Awaitable[None]]


@dataclass
class UnitOfWork:
    """The transaction edges of every write. The composition roots (the app, the worker, the
    CLI) build one with the job dispatcher and the listeners; writers only call it."""

    db: Database
    #: Sends queued jobs to the workers after commit (``None``: they wait for the sweep).
    dispatcher: jobs.Dispatcher | None = None
    listeners: Sequence[Listener] = field(default_factory=tuple)
    #: Where committed data versions are published for every process (``tenants/versions.py``).
    versions: DataVersions | None = None
    #: Audit actions after which the plan's derived evaluations are recomputed: the core's
    #: and the installed plugins' (``plugins/events.py`` builds it).
    recompute_after: frozenset[str] = follow_ups.RECOMPUTE_AFTER

    @asynccontextmanager
    async def transaction(
        self, binding: TenantBinding | None, *, session: AsyncSession | None = None
    ) -> AsyncIterator[AsyncSession]:
        """A session whose work commits as one unit (``binding=None``: platform rows only).

        ``session`` lets a request reuse the session it reads with; it is committed or rolled
        back here and stays open for the caller. Otherwise a session is opened and closed.
        """
        own = session is None
        if session is None:
            session = self.db.sessionmaker(info={"tenant": binding})
        elif session.info.get("tenant") != binding:
            raise RuntimeError("a unit of work must use a session bound to its municipality")
        try:
            try:
                yield session
                version = None
                watch = COMMIT_WATCH.get()
                if not untouched(session):  # else nothing to write, nothing to commit
                    version = await self._outbox(session, binding)
                    if watch is not None:
                        watch.before()
                    await session.commit()
                    if watch is not None:
                        watch.after()
            except BaseException:
                await session.rollback()
                _forget(session)
                raise
            committed_jobs = tuple(jobs.take_pending(session))
            events = tuple(take_pending(session))
            if binding is not None and version is not None and self.versions is not None:
                try:
                    await self.versions.observe(binding.tenant_id, version)
                except Exception:  # readers fall back to the database once the version ages
                    log.exception("publishing the data version of %s failed", binding.slug)
            jobs.send_all(self.dispatcher, committed_jobs)
            if binding is not None and self.listeners:
                committed = Committed(binding, events, committed_jobs, version, session)
                for listener in self.listeners:
                    try:
                        await listener(committed)
                    except Exception:  # the change is committed; a listener cannot undo it
                        log.exception("a listener failed after a commit in %s", binding.slug)
        finally:
            if own:
                await session.close()

    async def _outbox(self, session: AsyncSession, binding: TenantBinding | None) -> int | None:
        """Write what commits with the change: deliveries, follow-up jobs, the data version."""
        if binding is None:
            return None
        await session.flush()
        changes = list(session.info.get(PENDING_EVENTS, []))
        await notifications.queue_webhooks(session, changes, binding.slug)
        await follow_ups.queue(session, changes, self.recompute_after)
        if not session.info.pop(CHANGED, False):
            return None
        result = await session.execute(
            update(Municipality)
            .where(Municipality.id == binding.tenant_id)
            .values(
                data_version=Municipality.data_version + 1,
                updated_at=Municipality.updated_at,  # content changed, not the municipality
            )
            .returning(Municipality.data_version)
            .execution_options(synchronize_session=False)
        )
        return int(result.scalar_one())


def untouched(session: AsyncSession) -> bool:
    """Whether ``session`` is as it was opened: no statement run, nothing added, no event or
    job recorded. A unit of work over such a session has nothing to commit."""
    return not (
        session.in_transaction()
        or session.new
        or session.dirty
        or session.deleted
        or session.info.get(PENDING_EVENTS)
        or session.info.get(jobs.PENDING_JOBS)
        or session.info.get(CHANGED)
    )


def _forget(session: AsyncSession) -> None:
    take_pending(session)
    jobs.take_pending(session)
    session.info.pop(CHANGED, None)


def _is_content(cls: Any) -> bool:
    return not getattr(cls, "__bookkeeping__", False)


@event.listens_for(TenantSession, "before_flush")
def _note_content_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(CHANGED):
        return
    for obj in (*session.new, *session.deleted):
        if _is_content(type(obj)):
            session.info[CHANGED] = True
            return
    for obj in session.dirty:
        if _is_content(type(obj)) and session.is_modified(obj):
            session.info[CHANGED] = True
            return


@event.listens_for(TenantSession, "do_orm_execute")
def _note_content_statement(state: ORMExecuteState) -> None:
    """Bulk ``update()``/``delete()``/``insert()`` through the session count too."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is not Municipality and _is_content(mapper.class_):
        state.session.info[CHANGED] = True
