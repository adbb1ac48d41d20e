"""Every job, run by the real runtime against the real database (PostgreSQL as the restricted
role, and SQLite), a real SMTP server and a real HTTP receiver:

- delivered twice, a job leaves the database and the outside world (e-mails, webhook calls)
  as delivered once;
- a job of municipality A neither reads nor writes B's data.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from core.audit import service as audit
from core.evaluation.models import Rating
from core.identity.principal import SYSTEM
from core.jobs import service as jobs
from core.jobs.models import ExportFile, Job, JobStatus
from core.milestones.models import Milestone
from core.notifications import service as notifications
from core.notifications.models import Delivery, DeliveryStatus, WebhookEndpoint
from core.plans.models import ActionPlan
from core.settings import Settings
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tenants.unit_of_work import UnitOfWork
from tests.factories import Tenant, World
from tests.workers.conftest import Mailbox, Receiver, Recorder
from workers.builtin import DELAYS, DELIVER, DIGEST, EXPORT, RECOMPUTE, all_specs
from workers.periodic import enqueue_periodic, iso_week
from workers.runtime import Runtime

REGISTRY = make_plugin_manager()
TODAY = datetime.now(UTC).date()


def runtime_for(settings: Settings, db: Database, recorder: Recorder) -> Runtime:
    return Runtime(
        settings=settings,
        registry=REGISTRY,
        specs=all_specs(REGISTRY),
        dispatcher=recorder,
        database=db,
    )


async def run_all(runtime: Runtime, recorder: Recorder, first: jobs.Pending) -> None:
    """Deliver ``first`` and every message it leads to (deliveries queued by monitoring)."""
    queue = [first]
    while queue:
        job = queue.pop(0)
        before = len(recorder.sent)
        await runtime.run(job.kind, str(job.tenant_id), str(job.job_id))
        queue.extend(recorder.sent[before:])


async def enqueue(db: Database, tenant: Tenant, kind: str, args: dict[str, Any]) -> jobs.Pending:
    async with db.session(tenant.binding) as session:
        job = await jobs.enqueue(session, SYSTEM, kind, args)
        jobs.take_pending(session)
    return jobs.Pending(tenant.municipality.id, job.id, kind)


async def make_delayed(db: Database, tenant: Tenant) -> None:
    async with db.session(tenant.binding) as session:
        await session.execute(
            update(Milestone)
            .where(Milestone.id == tenant.milestone_id)
            .values(end_date=TODAY - timedelta(days=3))
        )


async def prepare(kind: str, db: Database, world: World, receiver: Receiver) -> jobs.Pending:
    a = world.a
    if kind == RECOMPUTE:
        async with db.session(a.binding) as session:  # a stale derived rating to correct
            await session.execute(
                update(Rating)
                .where(Rating.evaluation_id == a.evaluation_id, Rating.criterion == "COMPLETION")
                .values(derived="STALE", value="STALE")
            )
        return await enqueue(db, a, RECOMPUTE, {"plan_id": str(a.plan_id)})
    if kind == EXPORT:
        return await enqueue(db, a, EXPORT, {"plan_id": str(a.plan_id), "format": "csv"})
    if kind == "deliver:email":
        async with db.session(a.binding) as session:
            delivery = await notifications.queue_email(
                session,
                template="milestone.delayed",
                locale="es",
                recipient="ana@a.example",
                values=dict.fromkeys(
                    (
                        "municipality",
                        "milestone",
                        "commitment",
                        "commitment_code",
                        "plan",
                        "end_date",
                        "percent",
                    ),
                    "x",
                ),
                dedupe_key=f"test:{uuid.uuid4()}",
            )
            assert delivery is not None
            job = await jobs.find_by_key(session, f"deliver:{delivery.id}")
            jobs.take_pending(session)
        assert job is not None
        return jobs.Pending(a.municipality.id, job.id, DELIVER)
    if kind == "deliver:webhook":
        async with db.session(a.binding) as session:
            await session.execute(update(WebhookEndpoint).values(enabled=False))
            endpoint, _ = await notifications.register_webhook(session, SYSTEM, receiver.url, [])
            await announce_plan_update(session, a)
            delivery = (
                await session.execute(select(Delivery).where(Delivery.endpoint_id == endpoint.id))
            ).scalar_one()
            job = await jobs.find_by_key(session, f"deliver:{delivery.id}")
            jobs.take_pending(session)
        assert job is not None
        return jobs.Pending(a.municipality.id, job.id, DELIVER)
    if kind == DELAYS:
        await make_delayed(db, a)
        return await enqueue(db, a, DELAYS, {"date": TODAY.isoformat()})
    assert kind == DIGEST
    return await enqueue(db, a, DIGEST, {"week": iso_week(TODAY), "date": TODAY.isoformat()})


TABLES = (Job, ExportFile, Delivery, WebhookEndpoint, Rating, Milestone, ActionPlan)


async def snapshot(db: Database, tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    async with db.session(tenant.binding) as session:
        for model in TABLES:
            rows = (await session.execute(select(model).order_by(model.id))).scalars()
            out[model.__tablename__] = [audit.snapshot(row) for row in rows]
    return out


def world_outside(mailbox: Mailbox, receiver: Receiver) -> tuple[list[str], list[str]]:
    mails = sorted(f"{m['To']}|{m['Subject']}|{m['Message-ID']}" for m in mailbox.messages)
    hooks = sorted(call["headers"]["usina-delivery"] for call in receiver.calls)
    return mails, hooks


KINDS = [RECOMPUTE, EXPORT, "deliver:email", "deliver:webhook", DELAYS, DIGEST]


@pytest.mark.parametrize("kind", KINDS)
async def test_delivered_twice_acts_once(
    db: Database,
    world: World,
    worker_settings: Settings,
    outside: tuple[Mailbox, Receiver],
    kind: str,
) -> None:
    mailbox, receiver = outside
    recorder = Recorder()
    runtime = runtime_for(worker_settings, db, recorder)
    first = await prepare(kind, db, world, receiver)

    await run_all(runtime, recorder, first)
    once_db, once_outside = await snapshot(db, world.a), world_outside(mailbox, receiver)
    sent_once = list(recorder.sent)
    for message in [first, *sent_once]:  # every message of the job, delivered again
        await runtime.run(message.kind, str(message.tenant_id), str(message.job_id))
    assert await snapshot(db, world.a) == once_db
    assert world_outside(mailbox, receiver) == once_outside

    job = next(j for j in once_db["jobs"] if j["id"] == str(first.job_id))
    assert (job["status"], job["attempts"]) == ("SUCCEEDED", 1)
    mails, hooks = once_outside
    if kind == RECOMPUTE:
        completion = [
            r
            for r in once_db["ratings"]
            if r["evaluation_id"] == str(world.a.evaluation_id) and r["criterion"] == "COMPLETION"
        ]
        assert completion[0]["derived"] != "STALE"
    elif kind == EXPORT:
        assert [f["job_id"] for f in once_db["export_files"]] == [str(first.job_id)]
    elif kind == "deliver:email":
        assert len(mails) == 1 and mails[0].startswith("ana@a.example|")
    elif kind == "deliver:webhook":
        assert len(hooks) == 1
    elif kind == DELAYS:
        assert mails and all(m.startswith(f"editor@{world.a.slug}.example|") for m in mails)
    else:
        assert mails and all(m.startswith(f"admin@{world.a.slug}.example|") for m in mails)


async def test_a_webhook_call_is_signed(
    db: Database, world: World, worker_settings: Settings, outside: tuple[Mailbox, Receiver]
) -> None:
    _, receiver = outside
    recorder = Recorder()
    first = await prepare("deliver:webhook", db, world, receiver)
    async with db.session(world.a.binding) as session:
        secret = (
            await session.execute(
                select(WebhookEndpoint.secret).where(WebhookEndpoint.url == receiver.url)
            )
        ).scalar_one()
    await run_all(runtime_for(worker_settings, db, recorder), recorder, first)
    (call,) = receiver.calls
    headers = call["headers"]
    expected = hmac.new(
        secret.encode(), headers["usina-timestamp"].encode() + b"." + call["body"], hashlib.sha256
    ).hexdigest()
    assert headers["usina-signature"] == f"sha256={expected}"
    assert headers["usina-event"] == "action_plan.update"
    assert call["json"]["id"] == headers["usina-delivery"]
    assert call["json"]["municipality"] == world.a.slug
    assert abs(int(headers["usina-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    # Version 1: the API's vocabulary, not the table's.
    body = call["json"]
    assert (body["version"], body["type"]) == (1, "action_plan.update")
    data = body["data"]
    assert (data["entityType"], data["entityId"]) == ("ActionPlan", world.a.gid("ActionPlan"))
    assert data["entity"]["id"] == world.a.gid("ActionPlan")
    assert data["entity"]["title"] == "Plan a" and "startDate" in data["entity"]
    assert "tenantId" not in data["entity"] and "tenant_id" not in data["entity"]


def test_webhook_payloads_name_references_by_global_id() -> None:
    """Every reference of a snapshot becomes the global ID ``node(id:)`` takes, nested JSON
    included, and internal columns and secrets stay home."""
    from core.ids import to_global_id
    from core.notifications import payloads

    ids = {name: uuid.uuid4() for name in ("m", "c", "p", "ch", "a", "parent", "k")}
    meeting = payloads.entity(
        "Contribution",
        {
            "tenant_id": str(ids["m"]),
            "id": str(ids["c"]),
            "plan_id": str(ids["p"]),
            "channel_id": str(ids["ch"]),
            "parent_id": str(ids["parent"]),
            "author_subject": "ed",
            "data": {"held_on": "2026-11-30", "attendee_ids": [str(ids["a"])]},
        },
    )
    assert meeting == {
        "id": to_global_id("Contribution", ids["c"]),
        "planId": to_global_id("ActionPlan", ids["p"]),
        "channelId": to_global_id("Channel", ids["ch"]),
        "parentId": to_global_id("Contribution", ids["parent"]),
        "authorSubject": "ed",
        "data": {"heldOn": "2026-11-30", "attendeeIds": [to_global_id("Actor", ids["a"])]},
    }
    commitment = payloads.entity(
        "Commitment", {"lead_agency_id": str(ids["a"]), "ogp_values": ["CIVIC_PARTICIPATION"]}
    )
    assert commitment == {
        "leadAgencyId": to_global_id("Actor", ids["a"]),
        "ogpValues": ["CIVIC_PARTICIPATION"],
    }
    client = payloads.entity("ApiClient", {"client_id": "a-portal", "secret_hash": "ab" * 32})
    assert client == {"clientId": "a-portal"}


async def test_a_failing_webhook_is_retried_then_its_endpoint_disabled(
    db: Database, world: World, worker_settings: Settings, outside: tuple[Mailbox, Receiver]
) -> None:
    _, receiver = outside
    receiver.status = 500
    recorder = Recorder()
    runtime = runtime_for(worker_settings, db, recorder)
    spec = runtime.specs[DELIVER]
    for round_ in range(notifications.DISABLE_AFTER):
        first = await prepare_again(db, world, receiver, round_)
        for attempt in range(1, spec.max_attempts + 1):  # what dramatiq's retries deliver
            final = attempt == spec.max_attempts
            if final:
                await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
            else:
                with pytest.raises(RuntimeError, match="HTTP 500"):
                    await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
    async with db.session(world.a.binding) as session:
        endpoint = (
            await session.execute(
                select(WebhookEndpoint).where(WebhookEndpoint.url == receiver.url)
            )
        ).scalar_one()
        failed_jobs = (
            await session.execute(
                select(Job).where(Job.kind == DELIVER, Job.status == JobStatus.FAILED)
            )
        ).scalars()
        failed = list(failed_jobs)
    assert (endpoint.enabled, endpoint.consecutive_failures) == (False, notifications.DISABLE_AFTER)
    assert len(failed) == notifications.DISABLE_AFTER
    assert all(j.attempts == spec.max_attempts and "HTTP 500" in (j.error or "") for j in failed)
    assert len(receiver.calls) == notifications.DISABLE_AFTER * spec.max_attempts


async def prepare_again(
    db: Database, world: World, receiver: Receiver, round_: int
) -> jobs.Pending:
    """A new event for the receiver's endpoint (registered on the first round)."""
    if round_ == 0:
        return await prepare("deliver:webhook", db, world, receiver)
    async with db.session(world.a.binding) as session:
        await announce_plan_update(session, world.a)
        (pending,) = jobs.take_pending(session)
    return pending


async def announce_plan_update(session: Any, tenant: Tenant) -> None:
    """An audit event of A's plan, with its webhook deliveries (as a mutation writes them)."""
    plan = await session.get(ActionPlan, (tenant.municipality.id, tenant.plan_id))
    event = audit.record(session, SYSTEM, "action_plan.update", plan)
    await session.flush()
    await notifications.queue_webhooks(session, [event], tenant.slug)


async def test_retrying_a_failed_job_runs_it_again(
    db: Database, world: World, worker_settings: Settings
) -> None:
    recorder = Recorder()
    async with db.session(world.a.binding) as session:
        job = await jobs.retry(session, SYSTEM, world.a.failed_job_id)
        (pending,) = jobs.take_pending(session)
    assert job.status is JobStatus.QUEUED
    await runtime_for(worker_settings, db, recorder).run(
        pending.kind, str(pending.tenant_id), str(pending.job_id)
    )
    async with db.session(world.a.binding) as session:
        again = await session.get(Job, (world.a.municipality.id, world.a.failed_job_id))
    assert again is not None and again.status is JobStatus.SUCCEEDED and again.error is None


@pytest.mark.parametrize("kind", [RECOMPUTE, EXPORT, DELAYS, DIGEST])
async def test_a_job_of_a_never_touches_b(
    db: Database,
    world: World,
    worker_settings: Settings,
    outside: tuple[Mailbox, Receiver],
    kind: str,
) -> None:
    mailbox, receiver = outside
    await make_delayed(db, world.b)  # B has news too: none of it may reach A's job
    before_b = await snapshot(db, world.b)
    recorder = Recorder()
    first = await prepare(kind, db, world, receiver)
    await run_all(runtime_for(worker_settings, db, recorder), recorder, first)
    assert await snapshot(db, world.b) == before_b
    assert all(world.b.slug not in m["To"] for m in mailbox.messages)
    async with db.session(world.a.binding) as session:
        job = await session.get(Job, (world.a.municipality.id, first.job_id))
        files = list((await session.execute(select(ExportFile))).scalars())
    assert job is not None and job.status is JobStatus.SUCCEEDED, job and job.error
    if kind == EXPORT:
        (content,) = [f.content.decode() for f in files if f.job_id == first.job_id]
        assert "Plan a" in content and "Plan b" not in content
    if kind == RECOMPUTE:
        assert set(job.result["planProgress"]) <= {str(world.a.plan_id), str(world.a.draft_plan_id)}


async def test_a_job_of_a_cannot_reach_bs_plan(
    db: Database, world: World, worker_settings: Settings
) -> None:
    """Pointed at B's plan, A's export finds nothing: it fails, and B is untouched."""
    before_b = await snapshot(db, world.b)
    recorder = Recorder()
    runtime = runtime_for(worker_settings, db, recorder)
    first = await enqueue(db, world.a, EXPORT, {"plan_id": str(world.b.plan_id), "format": "json"})
    for _ in range(runtime.specs[EXPORT].max_attempts - 1):
        with pytest.raises(Exception, match="No such action plan"):
            await runtime.run(EXPORT, str(first.tenant_id), str(first.job_id))
    await runtime.run(EXPORT, str(first.tenant_id), str(first.job_id))  # the last: recorded
    async with db.session(world.a.binding) as session:
        job = await session.get(Job, (world.a.municipality.id, first.job_id))
    assert job is not None and job.status is JobStatus.FAILED
    assert await snapshot(db, world.b) == before_b


async def test_milestones_due_today_are_not_delayed(
    db: Database, world: World, worker_settings: Settings, outside: tuple[Mailbox, Receiver]
) -> None:
    mailbox, _ = outside
    async with db.session(world.a.binding) as session:
        await session.execute(
            update(Milestone).where(Milestone.id == world.a.milestone_id).values(end_date=TODAY)
        )
    recorder = Recorder()
    first = await enqueue(db, world.a, DELAYS, {"date": TODAY.isoformat()})
    await run_all(runtime_for(worker_settings, db, recorder), recorder, first)
    assert mailbox.messages == []


def test_iso_week() -> None:
    assert iso_week(date(2026, 11, 24)) == "2026-W48"


async def test_a_plugins_job_runs_bound_to_its_municipality(
    db: Database, world: World, worker_settings: Settings, backend: str
) -> None:
    """The fixture plugin's job reads action_plans with raw SQL: on PostgreSQL row-level
    security alone keeps B's rows out; on SQLite the ORM criteria do not apply to raw SQL,
    so only the municipality it reports is checked there."""
    recorder = Recorder()
    first = await enqueue(db, world.a, "fixture_plugin.count_plans", {})
    await runtime_for(worker_settings, db, recorder).run(
        first.kind, str(first.tenant_id), str(first.job_id)
    )
    async with db.session(world.a.binding) as session:
        job = await session.get(Job, (world.a.municipality.id, first.job_id))
    assert job is not None and job.status is JobStatus.SUCCEEDED, job and job.error
    assert job.result is not None and job.result["municipality"] == world.a.slug
    if backend == "postgres":
        assert job.result["plans_of"] == [world.a.municipality.id.hex]


async def test_a_progress_report_queues_a_recompute_of_its_plan(
    client: Any, db: Database, world: World, tokens: Any, worker_settings: Settings
) -> None:
    """Derived ratings follow their inputs: the report's own transaction queues the job."""
    from tests.factories import error_codes, gql
    from tests.graphql.test_audit import MUTATIONS

    document, variables, _, _ = MUTATIONS["reportProgress"]
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    assert error_codes(await gql(client, document, variables(world.a), token=editor)) == []
    queued = await gql(
        client,
        "{ jobs(first: 10, status: [QUEUED]) { nodes { id kind args } } }",
        token=editor,
    )
    (job,) = [j for j in queued["data"]["jobs"]["nodes"] if j["kind"] == RECOMPUTE]
    assert job["args"] == {"plan_id": str(world.a.plan_id)}

    recorder = Recorder()
    async with db.session(world.a.binding) as session:
        row = (await session.execute(select(Job).where(Job.kind == RECOMPUTE))).scalar_one()
        job_id = row.id
    await runtime_for(worker_settings, db, recorder).run(
        RECOMPUTE, str(world.a.municipality.id), str(job_id)
    )
    async with db.session(world.a.binding) as session:
        done = await session.get(Job, (world.a.municipality.id, job_id))
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert done.result is not None and done.result["evaluationsRederived"] == 1


async def test_webhooks_cannot_reach_the_platforms_own_network(
    db: Database, world: World, worker_settings: Settings, outside: tuple[Mailbox, Receiver]
) -> None:
    """Without the opt-in, a webhook aimed at loopback (or any private address) is refused
    at delivery, and the receiver never hears from us. Retrying cannot change that: the job
    fails at its first attempt, and the failure counts against the endpoint."""
    _, receiver = outside
    strict = worker_settings.model_copy(update={"webhook_allow_private_networks": False})
    recorder = Recorder()
    first = await prepare("deliver:webhook", db, world, receiver)
    await runtime_for(strict, db, recorder).run(DELIVER, str(first.tenant_id), str(first.job_id))
    assert receiver.calls == []
    job, delivery, endpoint = await delivery_outcome(db, world, first, receiver)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert "non-public address" in (job.error or "")
    assert delivery.status is DeliveryStatus.FAILED
    assert endpoint.consecutive_failures == 1


async def delivery_outcome(
    db: Database, world: World, pending: jobs.Pending, receiver: Receiver
) -> tuple[Job, Delivery, WebhookEndpoint]:
    async with db.session(world.a.binding) as session:
        job = await session.get(Job, (world.a.municipality.id, pending.job_id))
        delivery = (
            await session.execute(select(Delivery).where(Delivery.recipient == receiver.url))
        ).scalar_one()
        endpoint = (
            await session.execute(
                select(WebhookEndpoint).where(WebhookEndpoint.url == receiver.url)
            )
        ).scalar_one()
    assert job is not None
    return job, delivery, endpoint


@pytest.mark.parametrize(("status", "permanent"), [(410, True), (400, True), (429, False)])
async def test_a_receiver_that_refuses_is_not_asked_again(
    db: Database,
    world: World,
    worker_settings: Settings,
    outside: tuple[Mailbox, Receiver],
    status: int,
    permanent: bool,
) -> None:
    """A 4xx answer is the receiver's final word (410 Gone, 400 Bad Request): the delivery
    fails at once and counts against the endpoint. A rate limit (429) is retried."""
    _, receiver = outside
    receiver.status = status
    first = await prepare("deliver:webhook", db, world, receiver)
    runtime = runtime_for(worker_settings, db, Recorder())
    if permanent:
        await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
    else:
        with pytest.raises(RuntimeError, match=f"HTTP {status}"):
            await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
    assert len(receiver.calls) == 1
    job, delivery, endpoint = await delivery_outcome(db, world, first, receiver)
    if permanent:
        assert (job.status, delivery.status) == (JobStatus.FAILED, DeliveryStatus.FAILED)
        assert endpoint.consecutive_failures == 1
    else:
        assert (job.status, delivery.status) == (JobStatus.QUEUED, DeliveryStatus.PENDING)
        assert endpoint.consecutive_failures == 0


async def test_nothing_runs_for_a_suspended_municipality(
    db: Database, world: World, worker_settings: Settings
) -> None:
    from core.enums import MunicipalityStatus
    from tenants.provisioning import set_status

    await set_status(UnitOfWork(db), SYSTEM, world.a.slug, MunicipalityStatus.SUSPENDED)
    recorder = Recorder()
    runtime = runtime_for(worker_settings, db, recorder)
    of_a = await enqueue(db, world.a, EXPORT, {"plan_id": str(world.a.plan_id), "format": "csv"})
    of_b = await enqueue(db, world.b, EXPORT, {"plan_id": str(world.b.plan_id), "format": "csv"})
    for job in (of_a, of_b):
        await runtime.run(job.kind, str(job.tenant_id), str(job.job_id))
    async with db.session(world.a.binding) as session:
        refused = await session.get(Job, (world.a.municipality.id, of_a.job_id))
        files_a = list((await session.execute(select(ExportFile))).scalars())
    async with db.session(world.b.binding) as session:
        done = await session.get(Job, (world.b.municipality.id, of_b.job_id))
    assert refused is not None and refused.status is JobStatus.FAILED
    assert refused.error == "the municipality is suspended" and refused.attempts == 0
    assert files_a == []
    assert done is not None and done.status is JobStatus.SUCCEEDED


async def test_jobs_arriving_together_are_claimed_by_one_statement(
    db: Database, world: World, worker_settings: Settings
) -> None:
    """Eight deliveries at once: the claims share statements, and every job runs once with
    one attempt counted."""
    recorder = Recorder()
    runtime = runtime_for(worker_settings, db, recorder)
    a = world.a
    pending = [await enqueue(db, a, RECOMPUTE, {"plan_id": str(a.plan_id)}) for _ in range(8)]
    claims: list[int] = []

    def count_claims(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS SET STATUS"):
            claims.append(1)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count_claims)
    try:
        await asyncio.gather(
            *(runtime.run(job.kind, str(job.tenant_id), str(job.job_id)) for job in pending)
        )
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count_claims)
    async with db.session(a.binding) as session:
        rows = (
            await session.execute(
                select(Job.status, Job.attempts).where(Job.id.in_([p.job_id for p in pending]))
            )
        ).all()
    assert sorted(rows) == [(JobStatus.SUCCEEDED, 1)] * 8
    # each job's success is a statement of its own; the claims of the eight share fewer
    assert 8 <= len(claims) < 8 + 8


async def test_a_retry_lost_with_its_process_is_sent_again(
    db: Database, world: World, worker_settings: Settings, outside: tuple[Mailbox, Receiver]
) -> None:
    """A job waiting for its retry when the process holding its message stops (the embedded
    broker keeps messages in memory) is sent again by the next sweep: at once where messages
    live in memory, after the grace period otherwise; and its retry then succeeds."""
    _, receiver = outside
    receiver.status = 503
    first = await prepare("deliver:webhook", db, world, receiver)
    runtime = runtime_for(worker_settings, db, Recorder())
    with pytest.raises(RuntimeError, match="HTTP 503"):
        await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
    job, _, _ = await delivery_outcome(db, world, first, receiver)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    # The process stops here: the retry's message is gone.

    def resent(recorder: Recorder) -> list[uuid.UUID]:
        return [p.job_id for p in recorder.sent if p.kind == DELIVER]

    later = Recorder()
    await enqueue_periodic(UnitOfWork(db, later))
    assert first.job_id not in resent(later)  # within the grace period
    at_once = Recorder()
    await enqueue_periodic(UnitOfWork(db, at_once), queued_grace=timedelta(0))
    assert first.job_id in resent(at_once)

    receiver.status = 200
    await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
    job, delivery, _ = await delivery_outcome(db, world, first, receiver)
    assert (job.status, job.attempts, delivery.status) == (
        JobStatus.SUCCEEDED,
        2,
        DeliveryStatus.SENT,
    )


@pytest.mark.parametrize("fault", ["refused", "rejects"])
async def test_an_smtp_fault_is_retried_then_given_up_visibly(
    db: Database,
    world: World,
    worker_settings: Settings,
    outside: tuple[Mailbox, Receiver],
    fault: str,
) -> None:
    """SMTP unreachable (nothing listens) or refusing the message (a 554): each attempt is
    recorded on the job and the delivery; after the job's attempts (6, docs/workers.md) both
    are FAILED, and nothing was sent."""
    import asyncio as aio

    from aiosmtpd.controller import Controller

    from tests.identity.oidc import free_port

    class Refusing:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "554 5.7.1 Message refused"

    port = free_port()
    controller = None
    if fault == "rejects":
        controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
        controller.start()
    try:
        broken = worker_settings.model_copy(update={"smtp_port": port})
        first = await prepare("deliver:email", db, world, outside[1])
        runtime = runtime_for(broken, db, Recorder())
        spec = runtime.specs[DELIVER]
        for attempt in range(1, spec.max_attempts + 1):
            if attempt < spec.max_attempts:
                with pytest.raises(Exception):  # noqa: B017  (smtplib's own errors)
                    await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
            else:
                await runtime.run(DELIVER, str(first.tenant_id), str(first.job_id))
            await aio.sleep(0)
    finally:
        if controller is not None:
            controller.stop()
    async with db.session(world.a.binding) as session:
        job = await session.get(Job, (world.a.municipality.id, first.job_id))
        delivery = (
            (
                await session.execute(
                    select(Delivery)
                    .where(Delivery.recipient == "ana@a.example")
                    .order_by(Delivery.created_at.desc())
                )
            )
            .scalars()
            .first()
        )
    assert job is not None and delivery is not None
    assert (job.status, job.attempts) == (JobStatus.FAILED, spec.max_attempts)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, spec.max_attempts)
    expected = "554" if fault == "rejects" else "Connection refused"
    assert expected in (job.error or "") and expected in (delivery.last_error or "")
    assert outside[0].messages == []


async def test_a_recompute_rewrites_only_the_ratings_that_moved(
    db: Database, world: World, worker_settings: Settings
) -> None:
    """A recompute changes a derived rating whose inputs moved (an overridden one keeps the
    reviewer's value), leaves every other rating row as it was, and a recompute that finds
    nothing to change writes nothing: the municipality's data version stays."""
    from core.municipalities.models import Municipality

    a, recorder = world.a, Recorder()
    runtime = runtime_for(worker_settings, db, recorder)

    async def ratings() -> dict[str, tuple[str | None, str | None, Any]]:
        async with db.session(a.binding) as session:
            rows = await session.execute(
                select(Rating.criterion, Rating.derived, Rating.value, Rating.updated_at).where(
                    Rating.evaluation_id == a.evaluation_id
                )
            )
            return {r.criterion: (r.derived, r.value, r.updated_at) for r in rows}

    async def data_version() -> int:
        async with db.session(None) as session:
            return int(
                (
                    await session.execute(
                        select(Municipality.data_version).where(
                            Municipality.id == a.municipality.id
                        )
                    )
                ).scalar_one()
            )

    async def recompute() -> None:
        job = await enqueue(db, a, RECOMPUTE, {"plan_id": str(a.plan_id)})
        await runtime.run(job.kind, str(job.tenant_id), str(job.job_id))

    await recompute()  # whatever the fixture left stale is now derived
    settled = await ratings()
    assert settled["COMPLETION"][0] is not None
    async with db.session(a.binding) as session:  # a stale derived value under an override
        await session.execute(
            update(Rating)
            .where(Rating.evaluation_id == a.evaluation_id, Rating.criterion == "COMPLETION")
            .values(derived="STALE", value="REVIEWER", overridden=True)
        )
    version = await data_version()

    await recompute()
    after = await ratings()
    assert after["COMPLETION"][:2] == (settled["COMPLETION"][0], "REVIEWER")
    assert {c: r for c, r in after.items() if c != "COMPLETION"} == {
        c: r for c, r in settled.items() if c != "COMPLETION"
    }
    assert await data_version() == version + 1

    await recompute()  # nothing moved since
    assert await ratings() == after
    assert await data_version() == version + 1


async def test_the_recomputes_reads_are_the_orm_paths(db: Database, world: World) -> None:
    """The recompute reads with Core statements compiled once (``workers/scoring.py``): they
    give the rows ``core``'s ORM statements give, column for column, and nothing of another
    municipality."""
    from core.evaluation import service as evaluation_service
    from core.progress import rollup
    from tenants import reads
    from workers.runtime import worker_binding
    from workers.scoring import _reads

    a = world.a
    binding = worker_binding(a.municipality)
    read = _reads(reads.shape_of(binding))

    async def both(
        orm: Any, core: Any, values: dict[str, Any], bound: Any = binding
    ) -> tuple[list[Any], list[Any]]:
        async with db.session(bound) as session:
            theirs = [tuple(r) for r in (await session.execute(orm, values)).all()]
            mine = [tuple(r) for r in await reads.fetch(session, core, values)]
        return theirs, mine

    async with db.session(binding) as session:
        evaluation_ids = list((await session.execute(select(Rating.evaluation_id))).scalars())
    cases = [
        (select(ActionPlan.id), read.plans, {}),
        (select(ActionPlan.id).where(ActionPlan.id == a.plan_id), read.plan, {"plan": a.plan_id}),
        (evaluation_service._DRAFTS, read.drafts, {}),
        (evaluation_service._DRAFTS_OF_PLAN, read.drafts_of_plan, {"plan": a.plan_id}),
        (evaluation_service._RATINGS, read.ratings, {"evaluations": evaluation_ids}),
        (rollup._PLAN_ROWS, read.figures, {"plans": [a.plan_id, a.draft_plan_id]}),
    ]
    rows = 0
    for orm, core, values in cases:
        theirs, mine = await both(orm, core, values)
        assert sorted(mine, key=repr) == sorted(theirs, key=repr), core
        rows += len(mine)
        # Bound to B, A's ids find nothing.
        _, foreign = await both(orm, core, values, worker_binding(world.b.municipality))
        assert not set(foreign) & set(mine), core
    assert rows >= 10  # the comparison compared something
