"""Does one municipality's portal query slow down as the platform grows? PostgreSQL with 10,
1,000 and 10,000 municipalities, each with the same data as the measured one (a plan of 10
commitments with 5 milestones and their reports, actors, audit trail): the portal query's
latency for one municipality at each size, and its ratio to the 10-municipality case, on the
uncached path (every request executes: the response cache is off, and each answer is checked
not to come from it) and, beside it, on the cached path.

    .venv/bin/python benchmarks/tenants_scale.py [--requests 60] [--sizes 10 1000 10000]

The other municipalities are cloned from the measured one with SQL (deterministic new ids, so
foreign keys hold), loaded by a superuser, then ANALYZEd; the API reads as the restricted role
with row-level security on, in this process behind httpx's ASGI transport, one request at a
time. The goal is a flat line: at most 1.2 at 10,000. Figures to report, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._pg import HOST, bench_database
from benchmarks.portal_query import SLUG, seed
from core.db.base import TenantOwned
from core.models import Base
from core.settings import Settings
from graphql_schema.app import create_app
from graphql_schema.view import PORTAL_QUERY
from tenants.database import Database


def _tenant_tables() -> list[str]:
    owned = {
        mapper.persist_selectable.name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantOwned)
    }
    return [t.name for t in Base.metadata.sorted_tables if t.name in owned]


async def _columns(conn: AsyncConnection, table: str) -> list[tuple[str, str]]:
    rows = await conn.execute(
        text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = :t ORDER BY ordinal_position"
        ),
        {"t": table},
    )
    return [(name, kind) for name, kind in rows]


def _mapped(column: str, kind: str) -> str:
    """How a cloned row's column is computed from the source row ``s`` and clone ``n``."""
    if column == "tenant_id":
        return "n.id"
    if kind == "uuid":  # ids and references: the same mapping everywhere keeps FKs valid
        return f"md5(s.{column}::text || n.id::text)::uuid"
    return f"s.{column}"


async def grow(conn: AsyncConnection, source_id: str, start: int, stop: int) -> None:
    """Add clones ``start`` .. ``stop - 1`` of the source municipality."""
    await conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS clones (id uuid PRIMARY KEY, i int)"))
    await conn.execute(text("TRUNCATE clones"))
    await conn.execute(
        text(
            "INSERT INTO clones SELECT md5('clone-' || i)::uuid, i "
            "FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i"
        ),
        {"a": start, "b": stop - 1},
    )
    columns = await _columns(conn, "municipalities")
    values = []
    for name, _ in columns:
        if name == "id":
            values.append("n.id")
        elif name == "slug":
            values.append("'clone-' || n.i")
        elif name == "name":
            values.append("'Municipio ' || n.i")
        else:
            values.append(f"s.{name}")
    await conn.execute(
        text(
            f"INSERT INTO municipalities ({', '.join(n for n, _ in columns)}) "
            f"SELECT {', '.join(values)} FROM municipalities s, clones n WHERE s.id = :src"
        ),
        {"src": source_id},
    )
    for table in _tenant_tables():
        columns = await _columns(conn, table)
        names = ", ".join(n for n, _ in columns)
        exprs = ", ".join(_mapped(n, k) for n, k in columns)
        await conn.execute(
            text(
                f"INSERT INTO {table} ({names}) SELECT {exprs} FROM {table} s, clones n "
                "WHERE s.tenant_id = :src"
            ),
            {"src": source_id},
        )


async def latency(http: httpx.AsyncClient, requests: int, *, cached: bool) -> float:
    payload = {"query": PORTAL_QUERY}
    for _ in range(5):  # warm up
        await http.post("/graphql", json=payload, headers={"X-Tenant": SLUG})
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await http.post("/graphql", json=payload, headers={"X-Tenant": SLUG})
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200 and "errors" not in response.json()
        hit = response.headers.get("x-usina-cache") == "hit"
        assert hit == cached, f"cache {'miss' if cached else 'hit'} where none was expected"
    return statistics.median(samples)


async def main(requests: int, sizes: list[int]) -> None:
    with bench_database(f"usina_bench_scale_{os.getpid()}") as url:
        name = url.rsplit("/", 1)[1]
        loader = create_async_engine(f"postgresql+asyncpg://postgres@{HOST}:5432/{name}")
        db = Database.from_url(url)
        results: dict[int, float] = {}
        cached_results: dict[int, float] = {}
        try:
            await seed(db)
            async with loader.begin() as conn:
                source = str(
                    (
                        await conn.execute(
                            text("SELECT id FROM municipalities WHERE slug = :s"), {"s": SLUG}
                        )
                    ).scalar_one()
                )
            settings = Settings(embedded_worker=False)
            app = create_app(settings.model_copy(update={"response_cache": "off"}), db=db)
            cached_app = create_app(settings, db=db)
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://b") as http,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=cached_app), base_url="http://b"
                ) as cached_http,
            ):
                have = 1
                for size in sorted(sizes):
                    started = time.perf_counter()
                    async with loader.begin() as conn:
                        await grow(conn, source, have, size)
                    async with loader.connect() as conn:
                        await conn.execution_options(isolation_level="AUTOCOMMIT")
                        await conn.execute(text("ANALYZE"))
                    loaded = time.perf_counter() - started
                    have = size
                    results[size] = await latency(http, requests, cached=False)
                    cached_results[size] = await latency(cached_http, requests, cached=True)
                    print(
                        f"{size:>6} municipalities (loaded in {loaded:5.1f} s): "
                        f"portal query p50 uncached {results[size] * 1000:7.2f} ms, "
                        f"cached {cached_results[size] * 1000:6.2f} ms",
                        flush=True,
                    )
            await app.state.oidc.close()
            await cached_app.state.oidc.close()
        finally:
            await db.dispose()
            await loader.dispose()
    base, cached_base = results[min(results)], cached_results[min(cached_results)]
    print("ratio to the smallest size (uncached, cached):")
    for size, value in results.items():
        print(f"  {size:>6}: {value / base:.2f}  {cached_results[size] / cached_base:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 10_000])
    options = parser.parse_args()
    asyncio.run(main(options.requests, options.sizes))
