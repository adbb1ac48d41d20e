"""The typed per-request context: who asks, for which municipality, with which session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from core.audit.service import PENDING_EVENTS, take_pending
from core.errors import TenantRequired
from core.i18n import msg
from core.identity.principal import ANONYMOUS, Principal
from core.jobs import follow_ups
from core.jobs import service as jobs
from core.notifications import service as notifications
from core.settings import Settings
from graphql_schema.loaders import Loaders
from plugins import activation
from plugins.manager import PluginRegistry
from plugins.records import DomainEvent
from tenants.access import Authenticator
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.isolation import STATEMENT_TIMEOUT
from tenants.plugin_activations import PluginActivation, activations
from tenants.resolution import Resolved


@dataclass
class Context:
    request: Request
    response: Response
    db: Database
    settings: Settings
    authenticator: Authenticator
    plugins: PluginRegistry
    principal: Principal = ANONYMOUS
    resolved: Resolved | None = None
    _session: AsyncSession | None = None
    loaders: Loaders = field(init=False)
    #: Sibling fields resolve concurrently, but a session (one connection) serves one statement
    #: at a time: every database access of the request's loaders takes this lock.
    db_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _activations: dict[str, PluginActivation] | None = None
    #: Set by graphql_schema.limits and the rate limiter, reported in extensions.cost.
    query_cost: Any = None
    rate_limit: dict[str, Any] | None = None
    rate_limiter: Any = None
    #: Sends queued jobs to the workers after a commit (``None``: jobs wait for the sweep).
    dispatcher: Any = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @property
    def binding(self) -> TenantBinding | None:
        return self.resolved.binding if self.resolved else None

    def tenant(self) -> Resolved:
        """The bound municipality, or ``TENANT_REQUIRED``."""
        if self.resolved is None:
            raise TenantRequired(
                msg(
                    "Name a municipality: X-Tenant header or <slug>.<base domain> host.",
                    "Indique un municipio: cabecera X-Tenant o host <slug>.<dominio base>.",
                ),
                field="X-Tenant",
            )
        return self.resolved

    @property
    def session(self) -> AsyncSession:
        """One session per request, bound to the request's municipality (if any)."""
        if self._session is None:
            timeout_ms = int(self.settings.request_timeout_seconds * 1000)
            self._session = self.db.sessionmaker(
                info={"tenant": self.binding, STATEMENT_TIMEOUT: timeout_ms}
            )
        return self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A mutation's unit of work: commit on success, roll back everything on error; then
        announce what changed to the municipality's enabled plugins."""
        session = self.session
        try:
            yield session
            if self.resolved is not None:
                # The outbox: webhook deliveries and follow-up jobs commit with the change.
                changes = list(session.info.get(PENDING_EVENTS, []))
                await notifications.queue_webhooks(session, changes, self.resolved.binding.slug)
                await follow_ups.queue(session, changes)
            await session.commit()
        except BaseException:
            await session.rollback()
            take_pending(session)
            jobs.take_pending(session)
            raise
        finally:
            self.loaders = Loaders(self)  # nothing cached before the change is served after
            self._activations = None
        jobs.send_all(self.dispatcher, jobs.take_pending(session))
        events = [
            DomainEvent(
                kind=e.action,
                tenant_id=e.tenant_id,
                entity_id=e.entity_id,
                data={"entity_type": e.entity_type, "after": e.after},
            )
            for e in take_pending(session)
        ]
        if events and self.resolved is not None:
            await activation.dispatch(self.plugins, await self.enabled_plugins(), events)

    async def plugin_activations(self) -> dict[str, PluginActivation]:
        """The bound municipality's plugin rows (one query per request)."""
        if self._activations is None:
            self.tenant()
            async with self.db_lock:
                self._activations = await activations(self.session)
        return self._activations

    async def enabled_plugins(self) -> frozenset[str]:
        return activation.enabled_names(await self.plugin_activations(), self.plugins)

    async def plugin_settings(self, plugin: str) -> dict[str, Any]:
        """The bound municipality's settings of ``plugin`` (for plugins' own resolvers)."""
        row = (await self.plugin_activations()).get(plugin)
        return dict(row.settings) if row else {}

    async def require_plugin(self, plugin: str) -> None:
        """``PLUGIN_DISABLED`` unless the bound municipality has enabled ``plugin``."""
        activation.require_enabled(self.plugins, await self.enabled_plugins(), plugin)

    def today(self) -> date:
        zone = self.resolved.municipality.timezone if self.resolved else "UTC"
        return datetime.now(ZoneInfo(zone)).date()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
