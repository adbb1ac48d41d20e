"""A PostgreSQL transaction begins bound to its municipality in one round trip: ``BEGIN`` and
the binding's ``SET LOCAL``\\ s in one simple query (``tenants/isolation.py``), handed to
SQLAlchemy's asyncpg adapter as the transaction it would have begun."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from tenants import isolation
from tenants.database import Database
from tenants.isolation import STATEMENT_TIMEOUT
from tests.factories import World


@pytest.fixture
def sent(db: Database) -> Any:
    statements: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    yield statements
    event.remove(db.engine.sync_engine, "before_cursor_execute", listen)


async def test_one_round_trip_begins_and_binds(
    db: Database, world: World, sent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.engine.dialect.name == "sqlite":  # no such step there: the criteria alone isolate
        async with db.session(world.a.binding) as session:
            await session.execute(text("SELECT 1"))
        assert not [s for s in sent if "SET LOCAL" in s or s.startswith("BEGIN")], sent
        return
    queries: list[str] = []
    begin = isolation._begin

    async def spying(adapted: Any, driver: Any, transaction: Any, query: str) -> None:
        queries.append(query)
        await begin(adapted, driver, transaction, query)

    monkeypatch.setattr(isolation, "_begin", spying)
    async with db.session(world.a.binding) as session:
        session.sync_session.info[STATEMENT_TIMEOUT] = 1234
        tenant = await session.scalar(text("SELECT current_setting('app.tenant_id')"))
        timeout = await session.scalar(text("SHOW statement_timeout"))
        await session.commit()  # the adapter commits the transaction it was handed
        after = await session.scalar(text("SELECT current_setting('app.tenant_id')"))
    assert tenant == str(world.a.municipality.id) and timeout == "1234ms"
    assert after == str(world.a.municipality.id)  # a second transaction, bound again
    assert len(queries) == 2, queries  # each transaction: one query began and bound it
    assert queries[0].startswith("BEGIN")
    assert "SET LOCAL app.tenant_id" in queries[0] and "statement_timeout = 1234" in queries[0]
    # Listeners still see each binding statement, as when they were sent one by one.
    assert [s for s in sent if s.startswith("SET LOCAL app.tenant_id")] == [
        f"SET LOCAL app.tenant_id = '{world.a.municipality.id}'"
    ] * 2
    async with db.session(None) as session:  # the pooled connection kept nothing
        assert await session.scalar(text("SELECT current_setting('app.tenant_id')")) == ""
        assert await session.scalar(text("SHOW statement_timeout")) != "1234ms"


async def test_a_binding_the_server_refuses_rolls_back_cleanly(
    db: Database, world: World, sent: list[str]
) -> None:
    """The binding fails (an out-of-range timeout): SQLAlchemy's error, and every pooled
    connection is left out of any transaction, usable at once."""
    if db.engine.dialect.name == "sqlite":  # no timeout is set there
        return
    with pytest.raises(DBAPIError) as refused:
        async with db.session(world.a.binding) as session:
            session.sync_session.info[STATEMENT_TIMEOUT] = -5
            await session.execute(text("SELECT 1"))
    assert "statement_timeout" in str(refused.value)
    for _ in range(db.engine.pool.size() + 1):
        async with db.session(world.a.binding) as session:
            assert await session.scalar(text("SELECT current_setting('app.tenant_id')")) == str(
                world.a.municipality.id
            )
