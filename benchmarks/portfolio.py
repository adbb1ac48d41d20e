"""The consultancy's portfolio with 1,000 municipalities on PostgreSQL: its latency, its SQL
statements per request, and what keeping the summary current adds to every write.

    .venv/bin/python benchmarks/portfolio.py [--municipalities 1000] [--requests 100]

One municipality is the demo (seeded through the unit of work, so its summary is computed as
in production); the others are clones of its row and summary made with SQL. The API reads as
the restricted role, in this process behind httpx's ASGI transport, one request at a time,
as a platform admin: the first page (50) sorted by delayed milestones, and the same filtered
to those with delays. Figures to report, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import event, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._pg import bench_database
from core.identity.tokens import TokenService
from core.municipalities.models import Municipality
from core.settings import Settings
from graphql_schema.app import create_app
from plugins.events import unit_of_work
from plugins.manager import make_plugin_manager
from plugins.portfolio import refresh
from tenants.context import TenantBinding
from tenants.database import Database
from usina.demo import seed

QUERY = """query($filter: PortfolioFilter) { portfolio(first: 50, orderBy: DELAYED_MILESTONES,
  descending: true, filter: $filter) { totalCount nodes { municipality { slug name }
  plan { title status progress completionLevel } commitmentsByLevel { level count }
  delayedMilestones nextDueMilestones { title dueOn } daysSinceLastReport
  diagnostic { latestScore change } checklist { met total } openChannels
  unansweredContributions } } }"""

CLONE_MUNICIPALITIES = """
INSERT INTO municipalities (id, slug, name, country, region, population, website, locale,
  timezone, status, data_version, portal_origins, created_at, updated_at)
SELECT gen_random_uuid(), 'town-' || n, 'Town ' || n, m.country, m.region, m.population,
  m.website, m.locale, m.timezone, m.status, m.data_version, m.portal_origins, now(), now()
FROM municipalities m, generate_series(1, :count) AS n WHERE m.slug = 'demo'
"""
CLONE_SUMMARIES = """
INSERT INTO municipality_summaries (municipality_id, data_version, computed_at, plan_id,
  plan_title, plan_status, plan_progress, plan_completion, commitments_by_level,
  open_milestones, open_due_dates, completed_milestones, last_report_at, diagnostic_instrument,
  diagnostic_first_score, diagnostic_latest_score, diagnostic_latest_on, checklist_met,
  checklist_total, channel_windows, unanswered_contributions)
SELECT t.id, s.data_version, s.computed_at, s.plan_id, s.plan_title, s.plan_status,
  (s.plan_progress + (random() * 40 - 20))::float, s.plan_completion, s.commitments_by_level,
  s.open_milestones, s.open_due_dates, s.completed_milestones,
  s.last_report_at - (random() * interval '60 days'), s.diagnostic_instrument,
  s.diagnostic_first_score, s.diagnostic_latest_score, s.diagnostic_latest_on, s.checklist_met,
  s.checklist_total, s.channel_windows, s.unanswered_contributions
FROM municipality_summaries s JOIN municipalities d ON d.id = s.municipality_id AND d.slug = 'demo',
  municipalities t WHERE t.slug LIKE 'town-%'
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(municipalities: int, requests: int) -> None:
    with bench_database("usina_bench_portfolio") as url:
        settings = Settings(database_url=url, embedded_worker=False, rate_limit=False)
        db = Database.from_url(url)
        registry = make_plugin_manager()
        await seed(unit_of_work(db, registry))
        async with db.engine.begin() as conn:
            await conn.execute(text(CLONE_MUNICIPALITIES), {"count": municipalities - 1})
            await conn.execute(text(CLONE_SUMMARIES))
            await conn.execute(text("ANALYZE municipalities"))
            await conn.execute(text("ANALYZE municipality_summaries"))
        app = create_app(settings, db=db)
        tokens = TokenService.from_settings(settings)
        async with db.session(None) as session:
            await tokens.refresh(session)
        root = tokens.issue(subject="root", role="platform_admin", tenant=None)
        statements: list[str] = []
        event.listen(
            db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, variables in (
                ("all, by delays", {}),
                ("with delays only", {"filter": {"hasDelays": True}}),
            ):
                timings: list[float] = []
                for i in range(requests + 5):
                    statements.clear()
                    started = time.perf_counter()
                    answer = await client.post(
                        "/graphql",
                        json={"query": QUERY, "variables": variables},
                        headers={"Authorization": f"Bearer {root}"},
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    body = answer.json()
                    assert "errors" not in body, body
                    if i >= 5:  # warm-up
                        timings.append(elapsed)
                total = body["data"]["portfolio"]["totalCount"]
                print(
                    f"portfolio ({name}): {municipalities} municipalities, {total} listed, "
                    f"{len(statements)} SQL statements per request, "
                    f"p50 {statistics.median(timings):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms"
                )
        # What every content write pays to keep its municipality's line current.
        async with db.session(None) as session:
            demo = (
                await session.execute(select(Municipality).where(Municipality.slug == "demo"))
            ).scalar_one()
        binding = TenantBinding(demo.id, demo.slug, sees_drafts=True)
        timings = []
        for _ in range(requests):
            statements.clear()
            started = time.perf_counter()
            await refresh(db, registry, binding)
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"summary refresh after a write (the demo's plan): {len(statements)} SQL statements, "
            f"p50 {statistics.median(timings):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms"
        )
        await app.state.oidc.close()
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.municipalities, arguments.requests))
