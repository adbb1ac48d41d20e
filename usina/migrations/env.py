"""Alembic environment: runs as the tables' owner, then grants the app role its privileges."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import async_engine_from_config

from core.models import Base
from tenants import (
    plugin_activations,  # noqa: F401  (its table)
    rls,
)
from usina.migrations import frozen

config = context.config
target_metadata = Base.metadata


def _grant_app_role(connection: Connection) -> None:
    role = config.attributes.get("app_role")
    if connection.dialect.name != "postgresql" or not role:
        return
    append_only, deletable = [], []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__append_only__", False):
            append_only.append(mapper.persist_selectable.description)
        if getattr(cls, "__deletable__", False):
            deletable.append(mapper.persist_selectable.description)
    tables = [t.name for t in target_metadata.sorted_tables] + ["alembic_version"]
    statements = rls.grant_statements(role, tables, append_only, deletable)
    for statement in statements:
        connection.exec_driver_sql(statement)


def _on_citus(connection: Connection) -> None:
    """With the citus extension, the run's one transaction creates shards, adds foreign keys
    and triggers on distributed tables (``frozen.create_tenant_table``): Citus needs one
    connection per worker for that, and allows the append-only triggers, whose function reads
    only the row and a setting."""
    if frozen.citus_anchor(connection) is None:
        return
    connection.exec_driver_sql("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
    connection.exec_driver_sql("SET LOCAL citus.enable_unsafe_triggers TO on")


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        _on_citus(connection)
        context.run_migrations()
        _grant_app_role(connection)


async def _run_async() -> None:
    engine = async_engine_from_config(
        {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
