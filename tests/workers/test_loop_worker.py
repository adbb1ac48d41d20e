"""The worker that runs jobs as tasks on an event loop (``workers/loop_worker.py``), on the real
Redis: at most ``concurrency`` at once, retries and dead letters as dramatiq's own worker, acks
sent together and none left behind, and a stop that finishes the running jobs and puts the
others back. And the runtime's successes that share a statement."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
import redis
from sqlalchemy import event, select

from core import observability as obs
from core.identity.principal import SYSTEM
from core.jobs import service as jobs
from core.jobs.models import Job, JobStatus
from core.settings import Settings
from plugins.manager import make_plugin_manager
from plugins.records import JobContext, JobSpec
from tenants.database import Database
from tests.factories import World
from tests.workers.conftest import Recorder
from workers.broker import make_broker
from workers.builtin import all_specs
from workers.loop_worker import LoopWorker
from workers.runtime import Runtime

QUEUE = "loop-test"


def until(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def broker(worker_settings: Settings, clean_redis: None) -> Iterator[dramatiq.Broker]:
    made = make_broker(worker_settings)
    yield made
    made.close()


@pytest.fixture
def client(worker_settings: Settings) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(worker_settings.redis_url)
    yield connection
    connection.close()


def left_in_redis(client: redis.Redis, namespace: str) -> dict[str, int]:
    """Messages Redis still holds for the queue: waiting, unacknowledged, dead."""
    unacked = sum(client.scard(key) for key in client.scan_iter(f"{namespace}:__acks__.*"))
    return {
        "queued": int(client.llen(f"{namespace}:{QUEUE}")),
        "bodies": int(client.hlen(f"{namespace}:{QUEUE}.msgs")),
        "unacked": int(unacked),
        "dead": int(client.zcard(f"{namespace}:{QUEUE}.XQ")),
    }


@pytest.mark.redis
def test_jobs_run_at_once_up_to_the_concurrency_and_are_all_acknowledged(
    broker: dramatiq.Broker, client: redis.Redis, worker_settings: Settings
) -> None:
    state = {"running": 0, "peak": 0}
    done: list[int] = []

    async def job(i: int) -> None:
        state["running"] += 1
        state["peak"] = max(state["peak"], state["running"])
        await asyncio.sleep(0.05)
        state["running"] -= 1
        done.append(i)

    actor = dramatiq.actor(job, broker=broker, queue_name=QUEUE, actor_name="loop.job")
    for i in range(12):
        actor.send(i)
    worker = LoopWorker(broker, concurrency=3)
    worker.start()
    try:
        until(lambda: len(done) == 12)
        namespace = worker_settings.broker_namespace
        until(lambda: left_in_redis(client, namespace)["unacked"] == 0)
    finally:
        worker.stop()
    assert state["peak"] == 3
    assert sorted(done) == list(range(12))
    assert left_in_redis(client, namespace) == {"queued": 0, "bodies": 0, "unacked": 0, "dead": 0}


@pytest.mark.redis
def test_a_failed_message_is_retried_then_dead_lettered_when_no_retry_is_left(
    broker: dramatiq.Broker, client: redis.Redis, worker_settings: Settings
) -> None:
    calls: Counter[str] = Counter()

    async def flaky(name: str) -> None:
        calls[name] += 1
        if name == "always" or calls[name] == 1:
            raise RuntimeError(f"attempt {calls[name]} of {name} fails")

    actor = dramatiq.actor(
        flaky,
        broker=broker,
        queue_name=QUEUE,
        actor_name="loop.flaky",
        min_backoff=10,
        max_backoff=20,
        max_retries=1,
    )
    actor.send("once")
    actor.send_with_options(args=("always",), max_retries=0)
    worker = LoopWorker(broker, concurrency=2)
    worker.start()
    namespace = worker_settings.broker_namespace
    try:
        until(lambda: calls["once"] == 2 and left_in_redis(client, namespace)["dead"] == 1)
        until(lambda: left_in_redis(client, namespace)["unacked"] == 0)
    finally:
        worker.stop()
    assert calls == {"once": 2, "always": 1}  # retried once; never retried
    left = left_in_redis(client, namespace)
    assert (left["queued"], left["unacked"], left["dead"]) == (0, 0, 1)


@pytest.mark.redis
def test_stopping_finishes_the_running_jobs_and_puts_the_others_back(
    broker: dramatiq.Broker, client: redis.Redis, worker_settings: Settings
) -> None:
    started: Counter[int] = Counter()
    finished: Counter[int] = Counter()

    async def slow(i: int) -> None:
        started[i] += 1
        await asyncio.sleep(0.3)
        finished[i] += 1

    actor = dramatiq.actor(slow, broker=broker, queue_name=QUEUE, actor_name="loop.slow")
    for i in range(4):
        actor.send(i)
    first = LoopWorker(broker, concurrency=1)
    first.start()
    until(lambda: bool(started))
    first.stop()
    assert finished == started  # the job in hand finished before the worker stopped
    assert sum(started.values()) < 4  # and the others did not start

    second = LoopWorker(broker, concurrency=2)
    second.start()
    namespace = worker_settings.broker_namespace
    try:
        until(lambda: sum(finished.values()) == 4)
        until(lambda: left_in_redis(client, namespace)["unacked"] == 0)
    finally:
        second.stop()
    assert finished == dict.fromkeys(range(4), 1)  # each once: none lost, none run twice
    assert left_in_redis(client, namespace) == {"queued": 0, "bodies": 0, "unacked": 0, "dead": 0}


NOTHING = "test.nothing"


async def nothing(_: JobContext) -> None:
    return None


async def test_successes_with_nothing_to_commit_share_a_statement(
    db: Database, world: World, worker_settings: Settings
) -> None:
    """Eight jobs whose bodies write nothing and return nothing, and a twin delivery of one of
    them, at once: their claims and their successes go together (fewer statements than jobs),
    each job succeeds once with one attempt, and the twin is told it was a duplicate."""
    registry = make_plugin_manager(entrypoints=False)
    registry.jobs[NOTHING] = ("test", JobSpec(name=NOTHING, run=nothing, max_attempts=1))
    runtime = Runtime(
        settings=worker_settings,
        registry=registry,
        specs=all_specs(registry),
        dispatcher=Recorder(),
        database=db,
    )
    a = world.a
    ids: list[uuid.UUID] = []
    for _ in range(8):
        async with db.session(a.binding) as session:
            ids.append((await jobs.enqueue(session, SYSTEM, NOTHING, {})).id)
            jobs.take_pending(session)
    updates: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS SET STATUS"):
            updates.append(statement)

    def outcomes() -> dict[str, float]:
        return {
            outcome: obs.JOBS.labels(NOTHING, outcome)._value.get()
            for outcome in ("succeeded", "duplicate")
        }

    before = outcomes()
    tenant = str(a.municipality.id)
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await asyncio.gather(
            *(runtime.run(NOTHING, tenant, str(job_id)) for job_id in [*ids, ids[0]])
        )
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    async with db.session(a.binding) as session:
        rows = (
            await session.execute(select(Job.status, Job.attempts).where(Job.id.in_(ids)))
        ).all()
    assert sorted(rows) == [(JobStatus.SUCCEEDED, 1)] * 8
    after = outcomes()
    assert after["succeeded"] - before["succeeded"] == 8
    assert after["duplicate"] - before["duplicate"] == 1
    # one statement per job would be 16 (eight claims, eight successes)
    assert 2 <= len(updates) < 8
