"""Keeping each municipality's portfolio summary current, after every commit of its content.

The summary's figures are the core's (``core/portfolio/service.py``); the co-creation
checklist is the plugins' (``compute_cocreation_checklist``), computed with the
municipality's enabled plugins and their settings.

It runs as a unit-of-work listener: after the writer's commit, before the writer gets its
answer (so the next portfolio read shows the change), in a transaction of its own that sees
all of the municipality whoever wrote. Not inside the writer's transaction: there it would hold
the municipality's row lock (taken by the data-version bump) for the length of the summary, and
every writer of that municipality would wait for it. Concurrent writers each recompute; the
summary reads one snapshot (``REPEATABLE READ`` on PostgreSQL, a read transaction on SQLite)
together with the data version it reflects, and a summary of an older version never replaces
a newer one. A failure is logged and leaves the previous summary until the next write.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.municipalities.models import Municipality
from core.portfolio import service as portfolio
from plugins import activation
from plugins.manager import PluginRegistry
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.plugin_activations import activations
from tenants.unit_of_work import Committed, Listener

log = logging.getLogger("usina.portfolio")


def _checklist(registry: PluginRegistry, slug: str) -> portfolio.Checklist:
    async def checklist(session: AsyncSession, plan_id: uuid.UUID) -> tuple[int, int] | None:
        rows = await activations(session)
        enabled = activation.enabled_names(rows, registry)
        settings = {name: dict(rows[name].settings) for name in enabled if name in rows}
        caller = activation.hook_caller(registry, "compute_cocreation_checklist", enabled)
        today = datetime.now(UTC).date()
        try:
            async with session.begin_nested():  # a failing plugin rolls back only itself
                for result in caller(
                    session=session, plan_id=plan_id, settings=settings, today=today
                ):
                    found = await activation.await_me_maybe(result)
                    if found is not None:
                        return (int(found[0]), int(found[1]))
        except Exception:
            log.exception("a plugin's co-creation checklist failed in %s", slug)
        return None

    return checklist


async def refresh(db: Database, registry: PluginRegistry, binding: TenantBinding) -> None:
    """Recompute the municipality's summary from one snapshot of its data."""
    seeing_all = replace(binding, sees_drafts=True, sees_evaluation_drafts=True, author=None)
    async with db.session(seeing_all) as session:
        if db.engine.dialect.name == "postgresql":
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        version = await session.scalar(
            select(Municipality.__table__.c.data_version).where(
                Municipality.__table__.c.id == binding.tenant_id
            )
        )
        if version is None:  # erased meanwhile
            return
        await portfolio.refresh(
            session, binding.tenant_id, int(version), _checklist(registry, binding.slug)
        )


def portfolio_listener(db: Database, registry: PluginRegistry) -> Listener:
    async def on_commit(committed: Committed) -> None:
        if committed.data_version is not None:  # its content changed
            await refresh(db, registry, committed.binding)

    return on_commit
