"""Pooled PostgreSQL connections: dead ones are replaced before use, live ones are not pinged
while the pool is busy."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from core.db import engine as engines
from tenants.database import Database

pytestmark = pytest.mark.asyncio


async def _backend_pid(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_the_server_closed_is_replaced_before_use(
    postgres_urls: dict[str, str],
) -> None:
    db = Database.from_url(postgres_urls["app"], pool_size=1, max_overflow=0)
    admin = Database.from_url(postgres_urls["owner"].replace("usina_test_owner", "postgres"))
    try:
        first = await _backend_pid(db)
        async with admin.engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(0.2)  # the server's goodbye reaches the pooled connection's socket
        assert await _backend_pid(db) != first  # no error: the pool connected anew
    finally:
        await db.dispose()
        await admin.dispose()


async def test_busy_connections_are_not_pinged_and_idle_ones_are(
    postgres_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.from_url(postgres_urls["app"], pool_size=1, max_overflow=0)
    pings: list[object] = []
    real_ping = AsyncAdapt_asyncpg_connection.ping

    def ping(connection: AsyncAdapt_asyncpg_connection) -> None:
        pings.append(connection)
        real_ping(connection)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", ping)
    try:
        for _ in range(5):
            await _backend_pid(db)
        assert pings == []  # back in use straight away: checked locally only
        monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)
        pid = await _backend_pid(db)
        assert len(pings) == 1  # idle past the limit: pinged, and still the same connection
        assert await _backend_pid(db) == pid
    finally:
        await db.dispose()


async def test_the_pool_is_sized_by_the_settings(postgres_urls: dict[str, str]) -> None:
    """Ten concurrent requests keep ten connections open, and a burst beyond the pool and its
    overflow waits instead of failing or opening more."""
    from core.settings import Settings

    settings = Settings(database_url=postgres_urls["app"], db_pool_size=3, db_max_overflow=1)
    db = Database.from_settings(settings)
    try:
        assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
        held: list[int] = []

        async def hold() -> None:
            async with db.engine.connect() as conn:
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                held.append(int(pid))
                await asyncio.sleep(0.2)

        await asyncio.gather(*(hold() for _ in range(6)))  # 4 at once, then 2 more
        assert len(set(held)) <= 4
        assert db.engine.pool.checkedin() == 3  # type: ignore[attr-defined]  # the overflow closed
    finally:
        await db.dispose()
    default = Database.from_settings(Settings(database_url=postgres_urls["app"]))
    assert default.engine.pool.size() == 10  # type: ignore[attr-defined]
    await default.dispose()
