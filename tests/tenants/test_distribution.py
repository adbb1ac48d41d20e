"""Placing the schema on Citus (``tenants/distribution.py``, ``usina scale distribute``) and the
migration helper for new municipal tables (``usina/migrations/frozen.py``).

CI runs on plain PostgreSQL and SQLite: there the command must refuse clearly and change
nothing, and the helper must create a table the isolation rules accept. The same tests, run on a
Citus cluster (``USINA_TEST_CITUS_WORKERS``, docs/development.md), check the distributed side:
the command then finds everything placed, and the helper's table is distributed and colocated.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tenants import schema_lint
from tenants.portability import owner_engine
from tests.conftest import CITUS_WORKERS
from tests.factories import World
from usina.migrations import frozen

NOTE_TABLE = "distribution_notes"


def _owner_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_urls")["owner"])
    return str(request.getfixturevalue("sqlite_url"))


def _usina(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "usina", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _database_settings(url: str) -> list[str]:
    engine = owner_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT unnest(setconfig) FROM pg_db_role_setting s "
                    "JOIN pg_database d ON d.oid = s.setdatabase "
                    "WHERE d.datname = current_database()"
                )
            )
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def test_distribute_refuses_a_database_without_citus(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = _owner_url(backend, request)
    before = await _database_settings(url) if backend == "postgres" else []
    done = _usina(
        {"USINA_DATABASE_URL": url, "USINA_MIGRATION_DATABASE_URL": url},
        "scale",
        "distribute",
    )
    assert "Traceback" not in done.stderr, done.stderr
    if CITUS_WORKERS and backend == "postgres":  # the fixture distributed it already
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("already distributed: 34 tables placed"), done.stdout
        assert "citus.propagate_set_commands=local" in await _database_settings(url)
        return
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: CITUS_REQUIRED: This database has no citus extension")
    assert done.stdout == ""
    if backend == "postgres":
        assert await _database_settings(url) == before
        assert not any(s.startswith("citus.") for s in before)


def _note_columns() -> list[Any]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["action_plans.tenant_id", "action_plans.id"],
            name="fk_distribution_notes_plan",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["municipalities.id"], name="fk_distribution_notes_tenant"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_distribution_notes"),
    ]


def _create_notes(conn: sa.Connection, *elements: Any) -> None:
    """What a later migration does: create a municipal table with the helper."""
    if frozen.citus_anchor(conn) is not None:  # as the migration environment does on Citus
        conn.exec_driver_sql("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
        conn.exec_driver_sql("SET LOCAL citus.enable_unsafe_triggers TO on")
    with Operations.context(MigrationContext.configure(conn)):
        frozen.create_tenant_table(NOTE_TABLE, *elements, append_only=True)


async def test_a_later_migration_creates_a_municipal_table_isolated(
    backend: str, request: pytest.FixtureRequest, world: World
) -> None:
    engine = owner_engine(_owner_url(backend, request))
    a, b = world.a, world.b
    insert = text(
        f"INSERT INTO {NOTE_TABLE} (tenant_id, id, plan_id, body) VALUES (:t, :i, :p, :b)"
    ).bindparams(*(sa.bindparam(name, type_=sa.Uuid()) for name in "tip"))

    async def refused(statement: Any, params: dict[str, Any]) -> str:
        with pytest.raises(DBAPIError) as caught:
            async with conn.begin_nested():
                await conn.execute(statement, params)
        return str(caught.value.orig)

    try:
        async with engine.connect() as conn:
            await conn.begin()
            await conn.run_sync(_create_notes, *_note_columns())
            if backend == "postgres":
                await conn.execute(text(f"SET LOCAL app.tenant_id = '{a.municipality.id}'"))
            note = {"t": a.municipality.id, "i": uuid.uuid4(), "p": a.plan_id, "b": "nota"}
            await conn.execute(insert, note)
            # the database refuses a note pointing at a plan that is not the municipality's
            dangling = note | {"i": uuid.uuid4(), "p": b.plan_id}
            assert "foreign key" in (await refused(insert, dangling)).lower()
            assert "append-only" in await refused(
                text(f"UPDATE {NOTE_TABLE} SET body = 'changed'"), {}
            )
            if backend == "postgres":
                other = {"t": b.municipality.id, "i": uuid.uuid4(), "p": b.plan_id, "b": "x"}
                assert "row-level security" in await refused(insert, other)
                seen = await conn.execute(text(f"SELECT count(*) FROM {NOTE_TABLE}"))
                assert seen.scalar_one() == 1
                await conn.execute(text(f"SET LOCAL app.tenant_id = '{b.municipality.id}'"))
                seen = await conn.execute(text(f"SELECT count(*) FROM {NOTE_TABLE}"))
                assert seen.scalar_one() == 0  # B sees none of A's
                assert await schema_lint.problems(conn) == []
                if CITUS_WORKERS:
                    placed = await conn.execute(
                        text(
                            "SELECT table_name::text, citus_table_type, distribution_column, "
                            "colocation_id FROM citus_tables WHERE table_name::text IN "
                            f"('{NOTE_TABLE}', 'action_plans') ORDER BY 1"
                        )
                    )
                    (plans, notes) = placed.all()
                    assert notes[1:3] == ("distributed", "tenant_id")
                    assert notes[3] == plans[3]
            await conn.rollback()
    finally:
        await engine.dispose()


def test_the_helper_wants_foreign_keys_as_table_constraints() -> None:
    column = sa.Column("plan_id", sa.Uuid(), sa.ForeignKey("action_plans.id"), nullable=False)
    with pytest.raises(ValueError, match="declare foreign keys as ForeignKeyConstraint"):
        frozen._split_keys(NOTE_TABLE, (column,))
