"""Work proportional to the page: the portal query (uncached, first 20 commitments) for
plans of 10, 20 and 200 commitments, on PostgreSQL as the restricted role (tables analysed,
as autovacuum keeps them in production).

The answer for the plan of 200 has the same size as for the plan of 20; what a request costs
should not grow with the commitments it does not show. Three municipalities in one database,
measured one request at a time in interleaved rounds, each round's median kept; prints the
medians, the ratios and the statement count of one request.

    .venv/bin/python benchmarks/page_size.py [--rounds 7] [--requests 40] [--large 200]

Figures to report, not a test. Issue 34's goal: the large plan within 1.3x of the small one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._pg import bench_database
from benchmarks.portal_query import seed
from core.settings import Settings
from graphql_schema.app import create_app
from graphql_schema.view import PORTAL_QUERY
from tenants.database import Database

SMALL, PAGE, LARGE = "bench-small", "bench-page", "bench-large"


async def median_ms(client: httpx.AsyncClient, slug: str, requests: int) -> float:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = await client.post(
            "/graphql", json={"query": PORTAL_QUERY}, headers={"X-Tenant": slug}
        )
        timings.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200 or "errors" in answer.json():
            raise SystemExit(f"{slug}: {answer.text[:300]}")
    return statistics.median(timings)


async def main(rounds: int, requests: int, large: int) -> None:
    with bench_database(f"usina_page_{os.getpid()}") as url:
        db = Database.from_settings(Settings(database_url=url))
        try:
            await seed(db, SMALL, 10)
            await seed(db, PAGE, 20)
            await seed(db, LARGE, large)
            async with db.engine.connect() as conn:  # as autovacuum would have
                await conn.execute(text("ANALYZE"))
                await conn.commit()
            settings = Settings().model_copy(
                update={"response_cache": "off", "embedded_worker": False}
            )
            app = create_app(settings, db=db)
            statements: list[Any] = []

            def count(*_: Any) -> None:
                statements.append(1)

            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://bench"
                ) as client,
            ):
                slugs = (SMALL, PAGE, LARGE)
                for slug in slugs:  # warm up pools and caches
                    await median_ms(client, slug, 10)
                counts = {}
                for slug in slugs:
                    statements.clear()
                    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
                    await median_ms(client, slug, 1)
                    event.remove(db.engine.sync_engine, "before_cursor_execute", count)
                    counts[slug] = len(statements)
                medians: dict[str, list[float]] = {slug: [] for slug in slugs}
                for _ in range(rounds):
                    for slug in slugs:
                        medians[slug].append(await median_ms(client, slug, requests))
        finally:
            await db.dispose()
    p50 = {slug: statistics.median(values) for slug, values in medians.items()}
    print(f"portal query, uncached, PostgreSQL, first 20 commitments, {rounds} rounds")
    for slug, size in ((SMALL, 10), (PAGE, 20), (LARGE, large)):
        print(
            f"  plan of {size:>3} commitments: p50 {p50[slug]:6.2f} ms, {counts[slug]} statements"
        )
    print(f"  {large} / 20 commitments = {p50[LARGE] / p50[PAGE]:.2f}  (the same page)")
    print(f"  {large} / 10 commitments = {p50[LARGE] / p50[SMALL]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--large", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.requests, arguments.large))
