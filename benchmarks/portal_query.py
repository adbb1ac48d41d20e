"""The portal query's throughput on PostgreSQL: Usina's GraphQL API against
(a) a hand-written Starlette endpoint running equivalent SQL and returning the same JSON (what
    a team would write instead of GraphQL), and
(b) a bare Starlette endpoint returning that JSON precomputed (the ceiling).

One municipality, one plan of 10 commitments with 5 milestones each (two reports each). All
three apps run in this process behind httpx's ASGI transport with the same concurrency, so
the figures compare application work, not HTTP parsing. Before measuring, the script checks
that (a) returns exactly the JSON that GraphQL returns.

    .venv/bin/python benchmarks/portal_query.py [--seconds 5] [--concurrency 8]

Every variant runs in alternating slices (five of each, 1 s each with the default 5 s, a
different one first in each round), so that all are measured on the same machine: GraphQL
uncached, the hand-written endpoint, the ceiling, and the cached path on the same data
(anonymous reads served from the response cache, and revalidations answered 304,
``If-None-Match``).

Prints requests per second for each and the ratios. Figures to report, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._pg import bench_database
from core.enums import ActionPlanStatus, MilestoneStatus
from core.identity.principal import SYSTEM
from core.models import ActionPlan, Actor, Commitment, Milestone, ProgressReport
from core.municipalities.service import MunicipalityData
from core.progress import rollup
from core.settings import Settings
from graphql_schema.app import create_app
from graphql_schema.relay import to_global_id
from graphql_schema.view import PORTAL_QUERY
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.provisioning import create_municipality
from tenants.unit_of_work import UnitOfWork

SLUG = "bench"
#: slices of GraphQL and of the hand-written endpoint, alternated (see ``measure_all``)
ROUNDS = 5


async def seed(db: Database, slug: str = SLUG, commitments: int = 10) -> None:
    """A municipality ``slug`` with one plan in implementation: ``commitments`` commitments of
    5 milestones, each with two progress reports."""
    municipality = await create_municipality(
        UnitOfWork(db),
        SYSTEM,
        MunicipalityData(slug=slug, name="Bench", country="AR", timezone="UTC"),
    )
    today = date.today()
    start, end = today - timedelta(days=200), today + timedelta(days=400)
    binding = TenantBinding(municipality.id, slug, sees_drafts=True)
    async with db.session(binding) as session:
        actor = Actor(kind="GOVERNMENT", name="Secretaría de Gobierno Abierto")
        plan = ActionPlan(
            title="Plan de Acción",
            start_date=start,
            end_date=end,
            status=ActionPlanStatus.IMPLEMENTATION,
            is_public=True,
        )
        session.add_all([actor, plan])
        await session.flush()
        for c in range(commitments):
            commitment = Commitment(
                plan_id=plan.id,
                code=f"{c + 1:03d}",
                title=f"Compromiso {c}",
                start_date=start,
                end_date=end,
                lead_agency_id=actor.id,
                ogp_values=["ACCESS_TO_INFORMATION", "CIVIC_PARTICIPATION"],
            )
            session.add(commitment)
            await session.flush()
            for k in range(5):
                m_end = start + timedelta(days=60 * (k + 1))
                percent = [100, 80, 40, 0, 10][k]
                milestone = Milestone(
                    plan_id=plan.id,
                    commitment_id=commitment.id,
                    title=f"Hito {k}",
                    start_date=start,
                    end_date=m_end,
                    weight=k + 1,
                    progress=percent,
                    status=MilestoneStatus.COMPLETED
                    if percent == 100
                    else MilestoneStatus.IN_PROGRESS,
                )
                session.add(milestone)
                await session.flush()
                for earlier in (percent / 2, percent):
                    session.add(
                        ProgressReport(
                            plan_id=plan.id,
                            milestone_id=milestone.id,
                            percent=earlier,
                            status=MilestoneStatus.COMPLETED
                            if earlier == 100
                            else MilestoneStatus.IN_PROGRESS,
                            narrative="Avance",
                            author_subject="bench",
                            evidence=[{"url": "https://bench.example/e", "title": "Acta"}],
                        )
                    )
                    await session.flush()


def hand_written_app(db: Database) -> Starlette:
    """The endpoint a team would write without GraphQL: six queries, shaped by hand."""
    engine = db.engine

    async def portal(request: Request) -> Response:
        slug = request.headers["x-tenant"]
        async with engine.begin() as conn:
            town = (
                await conn.execute(
                    text("SELECT id, name, country, timezone FROM municipalities WHERE slug = :s"),
                    {"s": slug},
                )
            ).one()
            await conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(town.id)}
            )
            plans = (
                await conn.execute(
                    text(
                        "SELECT id, title, status, start_date, end_date FROM action_plans WHERE is_public "
                        "ORDER BY start_date DESC, id DESC LIMIT 5"
                    )
                )
            ).all()
            total = (
                await conn.execute(text("SELECT count(*) FROM action_plans WHERE is_public"))
            ).scalar_one()
            plan_ids = [p.id for p in plans]
            commitments = (
                await conn.execute(
                    text(
                        "SELECT * FROM (SELECT c.id, c.plan_id, c.code, c.title, c.ogp_values, a.name AS lead, "
                        "row_number() OVER (PARTITION BY c.plan_id ORDER BY c.code, c.id) AS rank "
                        "FROM commitments c LEFT JOIN actors a ON a.tenant_id = c.tenant_id AND a.id = c.lead_agency_id "
                        "WHERE c.plan_id = ANY(:p)) x WHERE rank <= 20 ORDER BY plan_id, rank"
                    ),
                    {"p": plan_ids},
                )
            ).all()
            commitment_ids = [c.id for c in commitments]
            milestones = (
                await conn.execute(
                    text(
                        "SELECT id, commitment_id, title, end_date, status, progress, weight FROM milestones "
                        "WHERE commitment_id = ANY(:c) ORDER BY commitment_id, start_date, id"
                    ),
                    {"c": commitment_ids},
                )
            ).all()
            reports = (
                await conn.execute(
                    text(
                        "SELECT DISTINCT ON (milestone_id) milestone_id, percent, status, narrative, evidence, reported_at "
                        "FROM progress_reports WHERE milestone_id = ANY(:m) "
                        "ORDER BY milestone_id, reported_at DESC, id DESC"
                    ),
                    {"m": [m.id for m in milestones]},
                )
            ).all()
        today = date.today()
        latest = {r.milestone_id: r for r in reports}
        by_commitment: dict[Any, list[Any]] = {}
        for m in milestones:
            by_commitment.setdefault(m.commitment_id, []).append(m)

        def progress_of(ms: list[Any]) -> float:
            return rollup.commitment_progress(
                [
                    rollup.MilestoneFigure(m.weight, m.progress, MilestoneStatus(m.status))
                    for m in ms
                ]
            )

        def milestone_json(m: Any) -> dict[str, Any]:
            r = latest.get(m.id)
            return {
                "title": m.title,
                "endDate": m.end_date.isoformat(),
                "status": m.status,
                "progress": m.progress,
                "isDelayed": m.end_date < today and m.status not in ("COMPLETED", "CANCELLED"),
                "reports": {
                    "nodes": []
                    if r is None
                    else [
                        {
                            "percent": r.percent,
                            "status": r.status,
                            "narrative": r.narrative,
                            "evidence": [
                                {"url": e["url"], "title": e.get("title", "")} for e in r.evidence
                            ],
                            "reportedAt": r.reported_at.isoformat(),
                        }
                    ]
                },
            }

        plans_json = []
        for p in plans:
            cs = [c for c in commitments if c.plan_id == p.id]
            progresses = [progress_of(by_commitment.get(c.id, [])) for c in cs]
            plans_json.append(
                {
                    "id": to_global_id("ActionPlan", p.id),
                    "title": p.title,
                    "status": p.status,
                    "startDate": p.start_date.isoformat(),
                    "endDate": p.end_date.isoformat(),
                    "progress": rollup.plan_progress(progresses),
                    "commitments": {
                        "nodes": [
                            {
                                "code": c.code,
                                "title": c.title,
                                "ogpValues": c.ogp_values,
                                "leadAgency": {"name": c.lead} if c.lead else None,
                                "progress": prog,
                                "completionLevel": rollup.completion_level(prog).value,
                                "milestones": {
                                    "nodes": [
                                        milestone_json(m) for m in by_commitment.get(c.id, [])
                                    ][:20]
                                },
                            }
                            for c, prog in zip(cs, progresses, strict=True)
                        ]
                    },
                }
            )
        body = {
            "data": {
                "municipality": {
                    "name": town.name,
                    "country": town.country,
                    "actionPlans": {"totalCount": total, "nodes": plans_json},
                }
            }
        }
        return Response(json.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/portal", portal, methods=["POST"])])


def ceiling_app(body: bytes) -> Starlette:
    async def portal(_: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/portal", portal, methods=["POST"])])


async def throughput(
    app: Any,
    path: str,
    payload: dict[str, Any],
    seconds: float,
    concurrency: int,
    extra: dict[str, str] | None = None,
    expect: int = 200,
) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        headers = {"X-Tenant": SLUG, **(extra or {})}

        async def ask() -> None:
            response = await client.post(path, json=payload, headers=headers)
            if response.status_code != expect:
                raise SystemExit(f"{path} answered {response.status_code}, not {expect}")

        for _ in range(20):  # warm up caches and pools
            await ask()
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await ask()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


async def main(seconds: float, concurrency: int) -> None:
    with bench_database(f"usina_bench_{os.getpid()}") as url:
        db = Database.from_settings(Settings(database_url=url))  # the deployed pool
        try:
            await seed(db)
            settings = Settings()
            # The uncached path: every request executes (what signed-in users and misses pay).
            graphql = create_app(
                settings.model_copy(update={"response_cache": "off", "embedded_worker": False}),
                db=db,
            )
            # The cached path: anonymous reads answered from the response cache or by 304.
            cached = create_app(settings.model_copy(update={"embedded_worker": False}), db=db)
            payload = {"query": PORTAL_QUERY}
            # The same base URL as the measuring clients': links (and the cache key, and so
            # the ETag) are built from it.
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=cached), base_url="http://bench"
            ) as c:
                first = await c.post("/graphql", json=payload, headers={"X-Tenant": SLUG})
                expected = first.json()
                etag = first.headers["etag"]
            assert "errors" not in expected, expected
            manual = hand_written_app(db)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manual), base_url="http://b"
            ) as c:
                got = (await c.post("/portal", json={}, headers={"X-Tenant": SLUG})).json()
            if got["data"] != expected["data"]:
                raise SystemExit("the hand-written endpoint does not return the same JSON")
            ceiling = ceiling_app(json.dumps(expected).encode())
            # As `usina serve` runs them: the app's startup (its lifespan) included.
            async with (
                graphql.router.lifespan_context(graphql),
                cached.router.lifespan_context(cached),
            ):
                results = await measure_all(
                    graphql, cached, manual, ceiling, payload, etag, seconds, concurrency
                )
        finally:
            await db.dispose()
    report(results, seconds, concurrency)


async def measure_all(
    graphql: Any,
    cached: Any,
    manual: Any,
    ceiling: Any,
    payload: dict[str, Any],
    etag: str,
    seconds: float,
    concurrency: int,
) -> dict[str, float]:
    # Every variant in alternating slices (ROUNDS of each, the same time in all): each sees the
    # same machine, whatever it does meanwhile (on a shared VM a run of one after the other
    # compared different machines), and none always runs first. Each rate is the mean of its
    # slices' (equal slices: all its requests over all its time).
    variants: list[tuple[str, Any, str, dict[str, Any], dict[str, str] | None, int]] = [
        ("graphql", graphql, "/graphql", payload, None, 200),
        ("hand_written", manual, "/portal", {}, None, 200),
        ("ceiling", ceiling, "/portal", {}, None, 200),
        ("cached", cached, "/graphql", payload, None, 200),
        ("not_modified", cached, "/graphql", payload, {"If-None-Match": etag}, 304),
    ]
    rates: dict[str, list[float]] = {name: [] for name, *_ in variants}
    for round_ in range(ROUNDS):
        # A different first variant each round.
        for name, app, path, body, extra, expect in variants[round_:] + variants[:round_]:
            rates[name].append(
                await throughput(
                    app, path, body, seconds / ROUNDS, concurrency, extra, expect=expect
                )
            )
    return {name: sum(values) / ROUNDS for name, values in rates.items()}


def report(results: dict[str, float], seconds: float, concurrency: int) -> None:
    print(
        f"portal query, PostgreSQL, 10 commitments x 5 milestones, {concurrency} concurrent clients, {seconds:g}s each"
    )
    for name, rate in results.items():
        print(f"  {name:<13} {rate:8.1f} req/s")
    print(f"  graphql / hand_written = {results['graphql'] / results['hand_written']:.2f}")
    print(f"  graphql / ceiling      = {results['graphql'] / results['ceiling']:.3f}")
    print(f"  cached / hand_written  = {results['cached'] / results['hand_written']:.2f}")
    print(f"  cached / ceiling       = {results['cached'] / results['ceiling']:.3f}")
    print(f"  304 / ceiling          = {results['not_modified'] / results['ceiling']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.concurrency))
