"""Jobs through the real Redis, end to end: asked for through GraphQL, run by a dramatiq worker,
their results downloaded; notifications reaching a real SMTP server and a real HTTP receiver;
and a worker killed with SIGKILL in the middle of a job."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, CurrentMessage
from sqlalchemy import func, select, update

from core.exports.plan import CSV_COLUMNS, OGP_COLUMNS
from core.identity.principal import SYSTEM
from core.identity.tokens import TokenService
from core.jobs import service as jobs
from core.jobs.models import ExportFile, Job, JobStatus
from core.milestones.models import Milestone
from core.municipalities.models import Municipality
from core.settings import Settings
from core.words import day
from graphql_schema.app import create_app
from graphql_schema.relay import to_global_id
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tenants.unit_of_work import UnitOfWork
from tests.conftest import REPO
from tests.factories import World, error_codes, gql
from tests.workers.conftest import Mailbox, Receiver
from workers.broker import Jobs, make_broker
from workers.builtin import EXPORT
from workers.periodic import enqueue_periodic

pytestmark = pytest.mark.redis


@pytest.fixture
def background(worker_settings: Settings, clean_redis: None) -> Iterator[Jobs]:
    """Usina's actors on the real Redis, with a worker in this process (its own threads and
    event loop, its own connections, as in a worker process)."""
    running = Jobs.create(worker_settings, make_plugin_manager())
    running.start_worker(threads=2)
    yield running
    running.close()


@pytest.fixture
async def api(db: Database, background: Jobs) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(background.runtime.settings, db=db, jobs=background)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await app.state.oidc.close()


JOB = "query($id: ID!) { node(id: $id) { ... on Job { status error result downloadUrl } } }"


async def eventually(check: Any, seconds: float = 30) -> None:
    """Poll an outside system (a mailbox, a receiver) until ``check()`` holds."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def job_status(db: Database, tenant: Any, job_id: uuid.UUID) -> JobStatus:
    return (await job_row(db, tenant, job_id)).status


async def eventually_async(read: Any, expected: Any, seconds: float = 30) -> None:
    """Poll ``await read()`` until it returns ``expected``."""
    deadline = time.monotonic() + seconds
    while (found := await read()) != expected:
        assert time.monotonic() < deadline, f"timed out at {found!r}"
        await asyncio.sleep(0.1)


async def wait_for(http: httpx.AsyncClient, job_id: str, token: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = (await gql(http, JOB, {"id": job_id}, token=token))["data"]["node"]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def test_jobs_and_requests_of_one_process_each_use_redis_on_their_own_loop(
    db: Database, world: World, tokens: TokenService, worker_settings: Settings, clean_redis: None
) -> None:
    """A process that serves requests and runs jobs (the worker's own event loop) publishes
    every job's commit to the Redis that the readers trust, while its requests read it. An
    asyncio Redis client belongs to one loop: shared by both, requests answered 500 and jobs'
    versions went unpublished when the two met in its pool."""
    settings = worker_settings.model_copy(
        update={"response_cache": "redis", "cache_prefix": worker_settings.broker_namespace}
    )
    background = Jobs.create(settings, make_plugin_manager())
    app = create_app(settings, db=db, jobs=background)
    ids = []
    async with db.session(world.a.binding) as session:
        for value in range(12):
            job = Job(
                kind="kpi.record_value",
                args={
                    "commitment_id": str(world.a.commitment_id),
                    "code": "K1",
                    "value": value + 1,
                    "measured_on": "2026-01-15",
                },
                status=JobStatus.FAILED,
                attempts=1,
                max_attempts=1,
                error="RuntimeError: first try",
                created_by="system",
            )
            session.add(job)
            await session.flush()
            ids.append(job.id)
    admin = tokens.issue(subject="adm", role="tenant_admin", tenant=world.a.slug)
    published = redis.Redis.from_url(settings.redis_url)
    key = f"{settings.cache_prefix}:dv:{world.a.municipality.id}"
    background.start_worker(threads=4)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http,
    ):

        async def read() -> int:
            answer = await http.get(
                "/graphql",
                params={"query": "{ actors { totalCount } }"},
                headers={"X-Tenant": world.a.slug},
            )
            return answer.status_code

        async def retry(job_id: uuid.UUID) -> list[str]:
            retried = await gql(
                http,
                "mutation($id: ID!) { retryJob(input: {id: $id}) { job { status } } }",
                {"id": to_global_id("Job", job_id)},
                token=admin,
            )
            return error_codes(retried)

        before = await read()
        retried = await asyncio.gather(*(retry(job_id) for job_id in ids))
        statuses = [before]
        while any([await job_status(db, world.a, j) != JobStatus.SUCCEEDED for j in ids]):
            statuses += await asyncio.gather(*(read() for _ in range(8)))
        assert retried == [[]] * len(ids)
        assert set(statuses) == {200}
        async with db.session(None) as session:
            committed = await session.scalar(
                select(Municipality.data_version).where(Municipality.id == world.a.municipality.id)
            )
        # Published by the jobs themselves: no request has read the last version since.
        await eventually(lambda: int(published.get(key) or -1) == committed, seconds=5)
    published.close()


@pytest.mark.parametrize("fmt", ["CSV", "JSON", "HTML", "XLSX"])
async def test_an_export_runs_on_a_worker_and_downloads(
    api: httpx.AsyncClient, world: World, tokens: TokenService, fmt: str
) -> None:
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    asked = await gql(
        api,
        "mutation($p: ID!, $f: ExportFormat!) { exportActionPlan(input: {actionPlanId: $p, "
        "format: $f}) { job { id status } } }",
        {"p": world.a.gid("ActionPlan"), "f": fmt},
        token=editor,
    )
    assert error_codes(asked) == [], asked
    job = await wait_for(api, asked["data"]["exportActionPlan"]["job"]["id"], editor)
    assert job["status"] == "SUCCEEDED", job
    link = job["downloadUrl"]
    assert link.startswith("http://testserver/files/")  # the host the request was sent to
    response = await api.get(link.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    if fmt == "XLSX":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        assert book.sheetnames == ["Commitments", "Milestones", "Reports"]
        header = next(book["Commitments"].iter_rows(values_only=True))
        assert list(header) == CSV_COLUMNS
        return
    body = response.content.decode("utf-8-sig")  # the CSV starts with a byte-order mark
    if fmt == "CSV":
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(body)))
        assert list(rows[0]) == CSV_COLUMNS
        assert [r["Commitment Title"] for r in rows] and rows[0]["Country/Locality"].startswith(
            "Municipio"
        )
        assert (rows[0]["Completion"], rows[0]["Status"]) == ("Limitado", "En curso")
    elif fmt == "JSON":
        document = json.loads(body)
        assert document["format"] == "usina.plan/1"
        assert document["actionPlan"]["title"] == "Plan a"
        assert list(document["commitments"][0]["ogpDataset"]) == OGP_COLUMNS
    else:
        assert "<h1>Plan a</h1>" in body
    tampered = await api.get(link.removeprefix("http://testserver")[:-4] + "AAAA")
    assert tampered.status_code == 401


async def test_a_change_reaches_webhooks_and_monitoring_reaches_mailboxes(
    api: httpx.AsyncClient,
    db: Database,
    world: World,
    tokens: TokenService,
    background: Jobs,
    outside: tuple[Mailbox, Receiver],
) -> None:
    mailbox, receiver = outside
    admin = tokens.issue(subject="adm", role="tenant_admin", tenant=world.a.slug)
    registered = await gql(
        api,
        "mutation($u: String!) { registerWebhook(input: {url: $u, events: "
        '["action_plan.update"]}) { secret webhook { id } } }',
        {"u": receiver.url},
        token=admin,
    )
    assert error_codes(registered) == []
    updated = await gql(
        api,
        'mutation($id: ID!) { updateActionPlan(input: {id: $id, summary: "otro"}) '
        "{ actionPlan { id } } }",
        {"id": world.a.gid("ActionPlan")},
        token=admin,
    )
    assert error_codes(updated) == []

    report = await enqueue_periodic(
        UnitOfWork(db, background)
    )  # today's monitoring, this week's digest
    assert report.enqueued >= 2
    await eventually(
        lambda: bool(receiver.calls) and any(world.a.slug in m["To"] for m in mailbox.messages)
    )
    assert [c["headers"]["usina-event"] for c in receiver.calls] == ["action_plan.update"]
    digests = [m for m in mailbox.messages if m["To"] == f"admin@{world.a.slug}.example"]
    assert digests and "Resumen semanal" in str(digests[0]["Subject"])


async def test_an_admin_runs_monitoring_now(
    api: httpx.AsyncClient,
    db: Database,
    world: World,
    tokens: TokenService,
    outside: tuple[Mailbox, Receiver],
) -> None:
    """No waiting for the daily run: the editors hear of a delay as soon as an admin asks,
    and asking again sends nobody the same notice twice."""
    mailbox, _ = outside
    a = world.a
    async with db.session(a.binding) as session:
        await session.execute(
            update(Milestone)
            .where(Milestone.id == a.milestone_id)
            .values(end_date=datetime.now(UTC).date() - timedelta(days=2))
        )
    admin = tokens.issue(subject="adm", role="tenant_admin", tenant=a.slug)
    run = "mutation { runMonitoring(input: {}) { jobs { id kind } } }"
    for _ in range(2):
        asked = await gql(api, run, token=admin)
        assert error_codes(asked) == [], asked
        (job,) = asked["data"]["runMonitoring"]["jobs"]
        assert job["kind"] == "monitoring.delays"
        assert (await wait_for(api, job["id"], admin))["status"] == "SUCCEEDED"
    await eventually(lambda: any(m["To"] == f"editor@{a.slug}.example" for m in mailbox.messages))
    await asyncio.sleep(0.5)
    delayed = [m for m in mailbox.messages if "Hito demorado" in str(m["Subject"])]
    assert [m["To"] for m in delayed] == [f"editor@{a.slug}.example"]
    # The date as a person reads it in the municipality's language, not ISO.
    body = delayed[0].get_payload(decode=True).decode()
    due = datetime.now(UTC).date() - timedelta(days=2)
    assert f"debía terminar el {day(due, 'es')} y" in body, body
    assert due.isoformat() not in body


WORKER_WITH_A_SLOW_EXPORT = """
import sys, time
from core.exports import plan
fast = plan.BUILDERS["csv"]
def slow(data):
    print("EXPORTING", flush=True)
    time.sleep(30)
    return fast(data)
plan.BUILDERS["csv"] = slow
from usina.cli import main
main(["worker", "--threads", "1"])
"""


@pytest.mark.postgres
async def test_a_worker_killed_mid_job_the_job_is_redelivered_and_happens_once(
    postgres_urls: dict[str, str], world_pg: World
) -> None:
    settings = Settings(
        database_url=postgres_urls["app"],
        workers="redis",
        broker_namespace=f"usina-test-{uuid.uuid4().hex[:8]}",
        broker_heartbeat_ms=1500,
    )
    db = Database.from_url(settings.database_url)
    a = world_pg.a
    try:
        sender = Jobs.create(settings, make_plugin_manager())
        async with db.session(a.binding) as session:
            job = await jobs.enqueue(
                session, SYSTEM, EXPORT, {"plan_id": str(a.plan_id), "format": "csv"}
            )
            outgoing = jobs.take_pending(session)
        jobs.send_all(sender, outgoing)
        sender.close()

        env = os.environ | {
            "USINA_DATABASE_URL": settings.database_url,
            "USINA_WORKERS": "redis",
            "USINA_BROKER_NAMESPACE": settings.broker_namespace,
            "USINA_BROKER_HEARTBEAT_MS": str(settings.broker_heartbeat_ms),
        }
        doomed = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-c", WORKER_WITH_A_SLOW_EXPORT],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert doomed.stdout is not None
            assert await asyncio.to_thread(doomed.stdout.readline) == "EXPORTING\n"
            assert (await job_row(db, a, job.id)).status is JobStatus.RUNNING
            os.kill(doomed.pid, signal.SIGKILL)  # mid-job: no cleanup, no ack
        finally:
            doomed.wait(timeout=10)
            if doomed.stdout:
                doomed.stdout.close()
        assert await files_of(db, a, job.id) == 0

        # Another worker: once the dead one's heartbeat is stale, its message comes back.
        broker = RedisBroker(
            url=settings.redis_url,
            namespace=settings.broker_namespace,
            heartbeat_timeout=settings.broker_heartbeat_ms,
            maintenance_chance=1_000_000,  # clean up after dead workers on every poll
        )
        broker.add_middleware(AsyncIO())
        broker.add_middleware(CurrentMessage())
        rescuer = Jobs.create(settings, make_plugin_manager(), broker=broker)
        rescuer.start_worker(threads=1)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                row = await job_row(db, a, job.id)
                if row.status is JobStatus.SUCCEEDED:
                    break
                await asyncio.sleep(0.2)
        finally:
            rescuer.close()
        row = await job_row(db, a, job.id)
        assert row.status is JobStatus.SUCCEEDED, row.error
        assert row.attempts == 2  # the killed attempt, and the one that finished
        assert await files_of(db, a, job.id) == 1
    finally:
        await db.dispose()
        client = redis.Redis.from_url(settings.redis_url)
        stale = list(client.scan_iter(f"{settings.broker_namespace}*"))
        if stale:
            client.delete(*stale)
        client.close()


async def job_row(db: Database, tenant: Any, job_id: uuid.UUID) -> Job:
    async with db.session(tenant.binding) as session:
        row = await session.get(Job, (tenant.municipality.id, job_id))
    assert row is not None
    return row


async def files_of(db: Database, tenant: Any, job_id: uuid.UUID) -> int:
    async with db.session(tenant.binding) as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(ExportFile).where(ExportFile.job_id == job_id)
                )
            ).scalar_one()
        )


@pytest.fixture
async def world_pg(postgres_urls: dict[str, str]) -> AsyncIterator[World]:
    from tests.factories import build_world

    db = Database.from_url(postgres_urls["app"])
    try:
        yield await build_world(db)
    finally:
        await db.dispose()


def test_make_broker_uses_redis_when_asked() -> None:
    assert isinstance(make_broker(Settings(workers="redis")), RedisBroker)
