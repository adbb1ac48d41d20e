"""Plugins hear of committed changes: the unit of work's listener for ``on_event``."""

from __future__ import annotations

from collections.abc import Iterable

from core.jobs.service import Dispatcher
from plugins import activation
from plugins.manager import PluginRegistry
from plugins.records import DomainEvent
from tenants.database import Database
from tenants.plugin_activations import activations
from tenants.unit_of_work import Committed, Listener, UnitOfWork
from tenants.versions import DataVersions


def plugin_listener(registry: PluginRegistry) -> Listener:
    """After each commit, the municipality's enabled plugins receive its events."""

    async def announce(committed: Committed) -> None:
        if not committed.events:
            return
        enabled = activation.enabled_names(await activations(committed.session), registry)
        events = [
            DomainEvent(
                kind=e.action,
                tenant_id=e.tenant_id,
                entity_id=e.entity_id,
                data={"entity_type": e.entity_type, "after": e.after},
            )
            for e in committed.events
        ]
        await activation.dispatch(registry, enabled, events)

    return announce


def unit_of_work(
    db: Database,
    registry: PluginRegistry,
    dispatcher: Dispatcher | None = None,
    listeners: Iterable[Listener] = (),
    versions: DataVersions | None = None,
) -> UnitOfWork:
    """The unit of work every composition root builds: the municipality's portfolio summary is
    recomputed after each commit that changed its content, plugins hear of every commit, and
    every process of the deployment learns its data version."""
    from core.jobs.follow_ups import RECOMPUTE_AFTER
    from plugins.portfolio import portfolio_listener

    return UnitOfWork(
        db=db,
        dispatcher=dispatcher,
        listeners=(portfolio_listener(db, registry), plugin_listener(registry), *listeners),
        versions=versions,
        recompute_after=RECOMPUTE_AFTER
        | {action for info in registry.infos.values() for action in info.recompute_after},
    )
