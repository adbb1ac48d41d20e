"""A throwaway PostgreSQL database for benchmarks: owner role migrates, restricted role reads."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.settings import Settings
from usina.migrate import upgrade

HOST = os.environ.get("USINA_BENCH_PG_HOST", "127.0.0.1")
ADMIN = f"postgresql+asyncpg://postgres@{HOST}:5432/test"
OWNER, APP = "usina_bench_owner", "usina_bench_app"


async def _admin(*statements: str) -> None:
    engine = create_async_engine(ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _off_loop(fn, *args):  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """Create database ``name`` (migrated), yield the restricted role's URL, then drop it."""
    roles = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN "
        f"CREATE ROLE {r} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$"
        for r in (OWNER, APP)
    ]
    _off_loop(
        asyncio.run,
        _admin(
            *roles,
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"CREATE DATABASE {name} OWNER {OWNER}",
        ),
    )
    app_url = f"postgresql+asyncpg://{APP}@{HOST}:5432/{name}"
    owner_url = f"postgresql+asyncpg://{OWNER}@{HOST}:5432/{name}"
    _off_loop(
        upgrade, Settings(database_url=app_url, migration_database_url=owner_url, db_app_role=APP)
    )
    try:
        yield app_url
    finally:
        _off_loop(asyncio.run, _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
