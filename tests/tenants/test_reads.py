"""The read path's statements (``tenants/reads.py``) give the same rows whether SQLAlchemy runs
them or they run compiled for asyncpg (``tenants/compiled_reads.py``, PostgreSQL), and the
compiled path keeps every property the other has: isolation, errors, listeners."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, event, literal, select, update
from sqlalchemy.exc import DBAPIError

from core.jobs.models import Job
from core.models import Commitment, Milestone
from graphql_schema.view import PORTAL_QUERY
from tenants import compiled_reads, reads
from tenants.context import TenantBinding
from tenants.database import Database
from tests.factories import World, gql

#: Queries whose reads cover the loaders: the portal tree, drafts, counts, filters, cursors.
QUERIES = [
    PORTAL_QUERY,
    """{ municipality { actionPlans(first: 10) { totalCount nodes { id title status
         commitments(first: 1) { totalCount pageInfo { endCursor hasNextPage }
           nodes { code milestones(first: 2) { totalCount nodes { title isDelayed } } } } } } } }""",
]


def _key(row: Any) -> tuple[Any, ...]:
    return tuple(row)


async def _recorded(client: Any, world: World, token: str | None) -> list[Any]:
    """Every (statement, values, binding) the loaders ran while answering QUERIES."""
    seen: list[Any] = []
    original = reads.fetch

    async def recording(session: Any, statement: Any, params: Any = None) -> Any:
        seen.append((statement, dict(params or {}), reads.binding_of(session)))
        return await original(session, statement, params)

    reads.fetch = recording  # type: ignore[assignment]
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for query in QUERIES:
            answer = await gql(client, query, tenant=world.a.municipality.slug, headers=headers)
            assert "errors" not in answer, answer
    finally:
        reads.fetch = original  # type: ignore[assignment]
    return seen


async def _both_ways(
    db: Database, statement: Any, values: dict[str, Any], binding: TenantBinding | None
) -> tuple[list[Any], list[Any]]:
    async with db.session(binding) as session:
        full = dict(values)
        if binding is not None:
            full |= {"usina_tenant": binding.tenant_id, "usina_author": binding.author}
        connection = await session.connection()
        by_sqlalchemy = (await connection.execute(statement, full)).all()
        plan = compiled_reads.compiled(statement, connection.dialect)
        if connection.dialect.name == "sqlite":  # no compiled path: the app runs SQLAlchemy's
            assert plan is None
            return by_sqlalchemy, list(await reads.fetch(session, statement, values))
        assert plan is not None, f"not compiled: {statement}"
        by_asyncpg = await compiled_reads.fetch(connection, plan, full)
        assert by_asyncpg is not None
    return by_sqlalchemy, by_asyncpg


@pytest.mark.parametrize("viewer", ["anonymous", "editor"])
async def test_every_loader_statement_gives_the_same_rows_both_ways(
    backend: str, client: Any, db: Database, world: World, tokens: Any, viewer: str
) -> None:
    token = (
        tokens.issue(subject="ed", role="editor", tenant=world.a.municipality.slug)
        if viewer == "editor"
        else None
    )
    recorded = await _recorded(client, world, token)
    assert len(recorded) >= 5
    if backend == "sqlite":  # SQLite has no compiled path: SQLAlchemy runs everything
        async with db.session(None) as session:
            connection = await session.connection()
            assert all(
                compiled_reads.compiled(s, connection.dialect) is None for s, _, _ in recorded
            )
        return
    rows = 0
    for statement, values, binding in recorded:
        by_sqlalchemy, by_asyncpg = await _both_ways(db, statement, values, binding)
        assert [_key(r) for r in by_asyncpg] == [_key(r) for r in by_sqlalchemy], statement
        for mine, theirs in zip(by_asyncpg, by_sqlalchemy, strict=True):
            assert mine._mapping == dict(theirs._mapping)  # the same names, the same values
            for name in theirs._fields:
                assert getattr(mine, name) == getattr(theirs, name)
                assert type(getattr(mine, name)) is type(getattr(theirs, name)), name
        rows += len(by_sqlalchemy)
    assert rows > 5  # the comparison compared something


async def test_lists_of_any_length_and_their_negation(db: Database, world: World) -> None:
    table = Milestone.__table__
    binding = TenantBinding(world.a.municipality.id, world.a.municipality.slug, sees_drafts=True)
    statement = (
        select(table.c.id)
        .where(table.c.tenant_id == reads.TENANT)
        .where(table.c.commitment_id.in_(bindparam("keys", expanding=True)))
        .where(table.c.id.not_in(bindparam("skip", expanding=True)))
        .order_by(table.c.id)
    )
    async with db.session(binding) as session:
        connection = await session.connection()
        plan = compiled_reads.compiled(statement, connection.dialect)
    if plan is None:
        assert db.engine.dialect.name == "sqlite"
    else:
        assert "= ANY($" in plan.sql and "<> ALL($" in plan.sql
        assert "POSTCOMPILE" not in plan.sql
    commitments = [world.a.commitment_id, world.a.draft_commitment_id, uuid.uuid4()]
    found = 0
    for keys in ([], commitments[:1], commitments):
        for skip in ([], [world.a.milestone_id]):
            theirs, mine = await _both_ways(db, statement, {"keys": keys, "skip": skip}, binding)
            assert [tuple(r) for r in mine] == [tuple(r) for r in theirs]
            found += len(theirs)
    assert found, "the lists found rows"


async def test_it_holds_to_the_bound_municipality(db: Database, world: World) -> None:
    """Bound to B, asking for A's rows by A's own ids finds nothing (row-level security and
    the criteria), as on SQLAlchemy's path."""
    table = Commitment.__table__
    statement = select(table.c.id, table.c.title).where(
        table.c.id.in_(bindparam("keys", expanding=True))
    )
    if db.engine.dialect.name == "sqlite":  # no row-level security: the criteria do it there
        statement = statement.where(table.c.tenant_id == reads.TENANT)
    b = TenantBinding(world.b.municipality.id, world.b.municipality.slug, sees_drafts=True)
    a = TenantBinding(world.a.municipality.id, world.a.municipality.slug, sees_drafts=True)
    keys = {"keys": [world.a.commitment_id, world.a.draft_commitment_id]}
    theirs, mine = await _both_ways(db, statement, keys, b)
    assert theirs == [] and mine == []
    theirs, mine = await _both_ways(db, statement, keys, a)
    assert len(mine) == 2 and sorted(map(tuple, mine)) == sorted(map(tuple, theirs))


async def test_errors_and_listeners_are_sqlalchemys(db: Database, world: World) -> None:
    binding = TenantBinding(world.a.municipality.id, world.a.municipality.slug)
    failing = select((literal(1) / bindparam("zero", type_=Integer)).label("x"))
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    if db.engine.dialect.name == "sqlite":  # no compiled path there
        async with db.session(binding) as session:
            connection = await session.connection()
            assert compiled_reads.compiled(failing, connection.dialect) is None
        return
    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        with pytest.raises(DBAPIError) as theirs:
            async with db.session(binding) as session:
                await (await session.connection()).execute(failing, {"zero": 0})
        with pytest.raises(DBAPIError) as mine:
            async with db.session(binding) as session:
                await reads.fetch(session, failing, {"zero": 0})
        assert type(mine.value) is type(theirs.value)
        assert type(mine.value.orig) is type(theirs.value.orig)
        assert "division by zero" in str(mine.value)
        seen.clear()
        async with db.session(binding) as session:
            two = select(literal(2, type_=Integer).label("two"))
            connection = await session.connection()
            assert compiled_reads.compiled(two, connection.dialect) is not None
            assert compiled_reads.compiled(failing, connection.dialect) is not None
            rows = await reads.fetch(session, two, {})
        assert [r.two for r in rows] == [2]
        assert any("AS two" in s for s in seen), seen  # the listener saw the compiled path
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", listen)


def test_the_cache_is_bounded() -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    dialect = PGDialect_asyncpg()
    table = Commitment.__table__
    for i in range(compiled_reads._CACHE_SIZE + 50):
        plan = compiled_reads.compiled(select(table.c.id).where(table.c.code == f"c{i}"), dialect)
        assert plan is not None
    assert len(compiled_reads._cache) <= compiled_reads._CACHE_SIZE


async def test_a_statement_alone_commits_by_itself_bound_to_its_municipality(
    db: Database, world: World
) -> None:
    """``alone`` (a job's claim and success) writes in a transaction of its own, bound to the
    municipality it names: B's binding cannot touch A's row; a failure writes nothing, arrives
    as SQLAlchemy's error, and leaves the pooled connection idle and usable."""
    table = Job.__table__
    rename = (
        update(table)
        .where(table.c.id == bindparam("job"))
        .values(kind=bindparam("kind"), updated_at=bindparam("now", type_=table.c.updated_at.type))
        .returning(table.c.id, table.c.kind)
    )
    if db.engine.dialect.name == "sqlite":
        assert compiled_reads.compiled(rename, db.engine.dialect) is None  # SQLAlchemy's path
        return
    plan = compiled_reads.compiled(rename, db.engine.dialect)
    assert plan is not None
    # A column default computed at execution time: not compiled (it would be left out).
    bare = (
        update(table).where(table.c.id == bindparam("job")).values(kind="x").returning(table.c.id)
    )
    assert compiled_reads.compiled(bare, db.engine.dialect) is None

    job = world.a.failed_job_id
    now = datetime.now(UTC)

    async def kind() -> str:
        async with db.session(world.a.binding) as session:
            return str((await session.execute(select(Job.kind).where(Job.id == job))).scalar_one())

    before = await kind()
    assert (
        await compiled_reads.alone(
            db.engine, world.b.municipality.id, plan, {"job": job, "kind": "by-b", "now": now}
        )
        == []
    )
    assert await kind() == before
    with pytest.raises(DBAPIError) as failed:  # longer than the column allows
        await compiled_reads.alone(
            db.engine, world.a.municipality.id, plan, {"job": job, "kind": "k" * 500, "now": now}
        )
    assert "too long" in str(failed.value)
    assert await kind() == before
    for _ in range(db.engine.pool.size() + 1):  # every pooled connection is usable after it
        (row,) = await compiled_reads.alone(
            db.engine, world.a.municipality.id, plan, {"job": job, "kind": before, "now": now}
        )
        assert (row.id, row.kind) == (job, before)
    assert await kind() == before


async def test_a_transaction_finds_its_connection_once(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``reads.fetch`` asks the session for its connection once per transaction (a greenlet
    switch each time otherwise); after a commit, the next transaction finds its own."""
    from sqlalchemy.ext.asyncio import AsyncSession

    asked: list[Any] = []
    real = AsyncSession.connection

    async def counted(self: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        connection = await real(self, *args, **kwargs)
        asked.append(connection)
        return connection

    monkeypatch.setattr(AsyncSession, "connection", counted)
    table = Commitment.__table__
    statement = select(table.c.id).where(table.c.id.in_(bindparam("keys", expanding=True)))
    if db.engine.dialect.name == "sqlite":
        statement = statement.where(table.c.tenant_id == reads.TENANT)
    a = TenantBinding(world.a.municipality.id, world.a.municipality.slug, sees_drafts=True)
    keys = {"keys": [world.a.commitment_id]}
    async with db.session(a) as session:
        for _ in range(3):
            assert [row.id for row in await reads.fetch(session, statement, keys)] == [
                world.a.commitment_id
            ]
        assert len(asked) == 1
        await session.commit()
        assert len(await reads.fetch(session, statement, keys)) == 1
        assert len(asked) == 2  # a new transaction: its own connection, bound again
