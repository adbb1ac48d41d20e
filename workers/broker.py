"""The dramatiq side: the broker, one actor per job kind, and the dispatcher that sends.

``redis`` (production): messages go through Redis to ``usina worker`` processes; a worker that
dies (SIGKILL, a lost node) stops its heartbeat and its unacknowledged messages are delivered
again to the others. ``embedded`` (``make run``): an in-memory broker and a worker inside the
web process run the same actors, with no service to install.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, AsyncIO, CurrentMessage, Middleware, Retries

from core.jobs.service import Pending
from core.settings import Settings
from plugins.manager import PluginRegistry
from workers.builtin import all_specs
from workers.loop_worker import LoopWorker
from workers.runtime import Runtime

QUEUE = "usina"
log = logging.getLogger("usina.workers")


def make_broker(settings: Settings, *, namespace: str | None = None) -> dramatiq.Broker:
    # What Usina's jobs use of dramatiq's middleware: age limits, retries with backoff, the
    # event loop the jobs run on (as tasks: ``workers/loop_worker.py``) and the current message.
    # Not its thread-bound middleware (time limits, shutdown notifications; the runtime limits
    # each job itself), nor callbacks and pipelines, which no job uses.
    middleware: list[Middleware] = [AgeLimit(), Retries(), AsyncIO(), CurrentMessage()]
    broker: dramatiq.Broker
    if settings.workers == "redis":
        broker = RedisBroker(
            url=settings.redis_url,
            namespace=namespace or settings.broker_namespace,
            heartbeat_timeout=settings.broker_heartbeat_ms,
            middleware=middleware,
        )
    else:
        broker = StubBroker(middleware=middleware)
    return broker


@dataclass
class Jobs:
    """A broker with Usina's actors declared on it: what sends jobs and what runs them."""

    broker: dramatiq.Broker
    runtime: Runtime
    actors: dict[str, dramatiq.Actor[Any, Any]] = field(default_factory=dict)
    worker: dramatiq.Worker | None = None

    @classmethod
    def create(
        cls,
        settings: Settings,
        registry: PluginRegistry,
        *,
        broker: dramatiq.Broker | None = None,
    ) -> Jobs:
        specs = all_specs(registry)
        runtime = Runtime(settings=settings, registry=registry, specs=specs)
        jobs = cls(broker=broker or make_broker(settings), runtime=runtime)
        runtime.dispatcher = jobs
        jobs.broker.add_middleware(
            _CloseConnections(runtime), after=AsyncIO
        )  # runs first on shutdown
        for name, spec in specs.items():
            jobs.actors[name] = dramatiq.Actor(
                _handler(runtime, name),
                broker=jobs.broker,
                actor_name=name,
                queue_name=QUEUE,
                priority=0,
                options={
                    "max_retries": spec.max_attempts - 1,
                    "min_backoff": int(spec.min_backoff_seconds * 1000),
                    "max_backoff": int(spec.max_backoff_seconds * 1000),
                },
            )
        return jobs

    def send(self, pending: Pending) -> None:
        """Implements ``core.jobs.service.Dispatcher``."""
        actor = self.actors.get(pending.kind)
        if actor is None:
            log.error("no actor for job kind %r (job %s)", pending.kind, pending.job_id)
            return
        actor.send(str(pending.tenant_id), str(pending.job_id))

    def start_worker(self, threads: int | None = None) -> dramatiq.Worker:
        """Start running the jobs here: at most ``threads`` at once (``worker_threads``), as
        tasks on the runtime's event loop."""
        self.worker = LoopWorker(
            self.broker, concurrency=threads or self.runtime.settings.worker_threads
        )
        self.worker.start()
        return self.worker

    def drain(self, seconds: float) -> bool:
        """Wait (embedded broker) until every message sent so far, and those the jobs send in
        turn, has been handled, for at most ``seconds``; whether the queue emptied. Retries
        waiting for their backoff are not waited for: the web process's sweep sends them."""
        if not isinstance(self.broker, StubBroker):
            return True
        try:
            self.broker.join(QUEUE, timeout=int(seconds * 1000))
        except dramatiq.errors.QueueJoinTimeout:
            return False
        return True

    def stop_worker(self) -> None:
        if self.worker is None:
            return
        self.worker.stop()  # finishes the jobs in hand, then closes the runtime's connections
        # dramatiq's Worker registers a middleware of its own on the broker and never removes
        # it: a later worker on this broker would add a second one (dramatiq warns).
        worker = self.worker
        self.broker.middleware[:] = [
            m for m in self.broker.middleware if getattr(m, "worker", None) is not worker
        ]
        self.worker = None

    def close(self) -> None:
        self.stop_worker()
        self.broker.close()


class _CloseConnections(Middleware):
    """After the worker's threads finish and before its event loop stops: the runtime's
    database and Redis connections live on that loop, so they are closed there."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop = get_event_loop_thread()
        if loop is not None:
            loop.run_coroutine(self.runtime.close())


def _handler(runtime: Runtime, kind: str) -> Any:
    async def handle(tenant_id: str, job_id: str) -> None:
        await runtime.run(kind, tenant_id, job_id)

    handle.__name__ = kind.replace(".", "_")
    return handle
