"""One unit of work for every writer: a change made by a job (a plugin's, or a worker's)
leaves exactly what the same change made through GraphQL leaves — its audit event, a webhook
delivery, the follow-up recompute, the plugins' ``on_event`` and a new data version — and a job
that fails leaves none of them. On PostgreSQL (as the restricted role) and SQLite.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.identity.principal import SYSTEM
from core.jobs import service as jobs
from core.jobs.kinds import RECOMPUTE
from core.jobs.models import Job, JobStatus
from core.municipalities.models import Municipality
from core.notifications import service as notifications
from core.notifications.models import Delivery, WebhookEndpoint
from core.settings import Settings
from plugins import activation
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.factories import START, Tenant, World, error_codes, gql
from tests.fixture_plugin import usina_fixture
from tests.workers.conftest import Recorder
from workers.builtin import all_specs
from workers.runtime import Runtime

REGISTRY = make_plugin_manager()


@dataclass(frozen=True)
class Change:
    """One change, as a GraphQL mutation and as a job; ``action`` is the audit event that
    triggers the recompute and that webhooks and plugins hear of."""

    mutation: str
    variables: Any
    job: str
    job_args: Any
    bad_job_args: Any
    action: str


CHANGES = {
    "kpi value (the KPI plugin's job)": Change(
        mutation='mutation($c: ID!, $d: Date!) { recordKpiValue(input: {commitmentId: $c, code: "K1", value: 12, measuredOn: $d}) { kpi { achievement } } }',
        variables=lambda t: {"c": t.gid("Commitment"), "d": START.isoformat()},
        job="kpi.record_value",
        job_args=lambda t: {
            "commitment_id": str(t.commitment_id),
            "code": "K1",
            "value": 12,
            "measured_on": START.isoformat(),
        },
        bad_job_args=lambda t: {
            "commitment_id": str(t.commitment_id),
            "code": "NO_SUCH_KPI",
            "value": 12,
            "measured_on": START.isoformat(),
        },
        action="kpi.record",
    ),
    "milestone state (a worker job)": Change(
        mutation="mutation($m: ID!) { reportProgress(input: {milestoneId: $m, percent: 70}) { milestone { progress } } }",
        variables=lambda t: {"m": t.gid("Milestone")},
        job="fixture_plugin.report_progress",
        job_args=lambda t: {"milestone_id": str(t.milestone_id), "percent": 70},
        bad_job_args=lambda t: {"milestone_id": str(t.milestone_id), "percent": 170},
        action="progress_report.create",
    ),
}


@dataclass(frozen=True)
class Effects:
    audited: int
    webhooks: int
    recomputes: int
    heard: int
    data_version: int


async def effects(db: Database, tenant: Tenant, action: str) -> Effects:
    async with db.session(tenant.binding) as session:
        audited = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )
        webhooks = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.event_type == action)
        )
        recomputes = await session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == RECOMPUTE)
        )
    async with db.session(None) as session:
        municipality = await session.get(Municipality, tenant.municipality.id)
        assert municipality is not None
    heard = sum(
        1
        for e in usina_fixture.RECEIVED
        if e.kind == action and e.tenant_id == tenant.municipality.id
    )
    return Effects(
        int(audited or 0),
        int(webhooks or 0),
        int(recomputes or 0),
        heard,
        municipality.data_version,
    )


def delta(after: Effects, before: Effects) -> Effects:
    return Effects(
        after.audited - before.audited,
        after.webhooks - before.webhooks,
        after.recomputes - before.recomputes,
        after.heard - before.heard,
        after.data_version - before.data_version,
    )


async def prepare(db: Database, tenant: Tenant) -> None:
    """Every event reaches a webhook; the fixture plugin (which records what it hears) is on."""
    async with db.session(tenant.binding) as session:
        await notifications.register_webhook(session, SYSTEM, "https://hooks.example/all", [])
        await activation.configure(session, SYSTEM, REGISTRY, "fixture_plugin", enabled=True)


async def run_job(
    db: Database, settings: Settings, tenant: Tenant, kind: str, args: dict[str, Any]
) -> Job:
    async with db.session(tenant.binding) as session:
        job = await jobs.enqueue(session, SYSTEM, kind, args)
        jobs.take_pending(session)
    runtime = Runtime(
        settings=settings,
        registry=REGISTRY,
        specs=all_specs(REGISTRY),
        dispatcher=Recorder(),
        database=db,
    )
    with contextlib.suppress(Exception):  # an attempt failed; dramatiq would retry it
        await runtime.run(kind, str(tenant.municipality.id), str(job.id))
    async with db.session(tenant.binding) as session:
        done = await session.get(Job, (tenant.municipality.id, job.id))
    assert done is not None
    return done


@pytest.mark.parametrize("name", list(CHANGES))
async def test_a_job_leaves_what_the_same_graphql_mutation_leaves(
    name: str, client: Any, db: Database, world: World, tokens: Any, worker_settings: Settings
) -> None:
    change = CHANGES[name]
    await prepare(db, world.a)
    await prepare(db, world.b)
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)

    start = await effects(db, world.a, change.action)
    result = await gql(client, change.mutation, change.variables(world.a), token=editor)
    assert error_codes(result) == [], result
    by_graphql = delta(await effects(db, world.a, change.action), start)

    start = await effects(db, world.b, change.action)
    job = await run_job(db, worker_settings, world.b, change.job, change.job_args(world.b))
    assert job.status is JobStatus.SUCCEEDED, job.error
    by_job = delta(await effects(db, world.b, change.action), start)

    assert by_graphql == Effects(audited=1, webhooks=1, recomputes=1, heard=1, data_version=1)
    assert by_job == by_graphql


@pytest.mark.parametrize("name", list(CHANGES))
async def test_a_failed_job_leaves_nothing(
    name: str, db: Database, world: World, worker_settings: Settings
) -> None:
    change = CHANGES[name]
    await prepare(db, world.a)
    start = await effects(db, world.a, change.action)
    job = await run_job(db, worker_settings, world.a, change.job, change.bad_job_args(world.a))
    assert job.status is not JobStatus.SUCCEEDED and job.error
    assert delta(await effects(db, world.a, change.action), start) == Effects(0, 0, 0, 0, 0)


async def test_reading_or_bookkeeping_keeps_the_data_version(
    client: Any, db: Database, world: World, tokens: Any, worker_settings: Settings
) -> None:
    """Only content moves the version: a query, a staff member entering the municipality
    (audited) or a job's own status changes do not."""
    before = await effects(db, world.a, "platform.bind")
    admin = tokens.issue(subject="root", role="platform_admin", tenant=None)
    result = await gql(
        client, "{ actionPlans(first: 1) { nodes { id } } }", tenant=world.a.slug, token=admin
    )
    assert error_codes(result) == []
    await run_job(db, worker_settings, world.a, "fixture_plugin.count_plans", {})
    after = await effects(db, world.a, "platform.bind")
    assert after.audited == before.audited + 1
    assert after.data_version == before.data_version


async def test_a_listener_hears_each_commit_once_after_it(db: Database, world: World) -> None:
    from tenants.unit_of_work import Committed, UnitOfWork

    heard: list[Committed] = []

    async def listener(committed: Committed) -> None:
        heard.append(committed)

    uow = UnitOfWork(db, listeners=[listener])
    async with uow.transaction(world.a.binding) as session:
        await notifications.register_webhook(session, SYSTEM, "https://hooks.example/x", [])
    with pytest.raises(RuntimeError):
        async with uow.transaction(world.a.binding) as session:
            await notifications.register_webhook(session, SYSTEM, "https://hooks.example/y", [])
            raise RuntimeError("the change fails")
    (committed,) = heard
    assert [e.action for e in committed.events] == ["webhook.register"]
    assert committed.data_version is not None and committed.binding == world.a.binding
    async with db.session(world.a.binding) as session:
        urls = set((await session.execute(select(WebhookEndpoint.url))).scalars())
    assert "https://hooks.example/x" in urls and "https://hooks.example/y" not in urls
    assert committed.events[0].tenant_id == world.a.municipality.id
