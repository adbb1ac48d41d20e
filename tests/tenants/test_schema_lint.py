"""The schema as migrated holds what isolation and Citus need (``tenants/schema_lint.py``), read
from PostgreSQL's catalog; and the lint does find a table that breaks each rule."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tenants.schema_lint import problems


@pytest.fixture
async def owner(postgres_urls: dict[str, str]) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(postgres_urls["owner"])
    yield engine
    await engine.dispose()


async def test_the_migrated_schema_has_no_problem(owner: AsyncEngine) -> None:
    async with owner.connect() as conn:
        assert await problems(conn) == []


async def test_the_lint_finds_each_kind_of_wrong_table(owner: AsyncEngine) -> None:
    async with owner.connect() as conn, conn.begin() as transaction:
        for statement in (
            # a tenant table without row-level security, unique on a column alone
            "CREATE TABLE lint_wrong (tenant_id uuid NOT NULL REFERENCES municipalities(id), "
            "id uuid NOT NULL, code text, plan_id uuid, PRIMARY KEY (tenant_id, id))",
            "CREATE UNIQUE INDEX lint_wrong_code ON lint_wrong (code)",
            # a foreign key to a tenant table without tenant_id (on a key that lacks it too)
            "CREATE TABLE lint_target (tenant_id uuid NOT NULL, id uuid NOT NULL, "
            "PRIMARY KEY (tenant_id, id))",
            "ALTER TABLE lint_target ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE lint_target FORCE ROW LEVEL SECURITY",
            "CREATE POLICY lint_policy ON lint_target USING (true)",
            "CREATE UNIQUE INDEX lint_target_id ON lint_target (id)",
            "ALTER TABLE lint_wrong ADD CONSTRAINT lint_wrong_plan FOREIGN KEY (plan_id) "
            "REFERENCES lint_target (id)",
            # a platform table pointing at a tenant table
            "CREATE TABLE lint_platform (owner uuid, plan uuid, "
            "FOREIGN KEY (owner, plan) REFERENCES action_plans (tenant_id, id))",
        ):
            await conn.execute(text(statement))
        found = await problems(conn)
        await transaction.rollback()
    assert sorted(found) == [
        "lint_platform: platform table references tenant table action_plans "
        "(lint_platform_owner_plan_fkey)",
        "lint_target: unique index lint_target_id lacks tenant_id",
        "lint_wrong: foreign key lint_wrong_plan lacks tenant_id",
        "lint_wrong: no row-level security policy",
        "lint_wrong: row-level security is not enabled and forced",
        "lint_wrong: unique index lint_wrong_code lacks tenant_id",
    ]
