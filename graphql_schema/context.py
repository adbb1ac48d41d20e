"""The typed per-request context: who asks, for which municipality, with which session."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from core.errors import TenantRequired
from core.files.store import FileStore
from core.i18n import msg
from core.identity.principal import ANONYMOUS, Principal
from core.identity.tokens import TokenService
from core.notifications.participants import Sender
from core.settings import Settings
from graphql_schema.authentication import locale_of
from graphql_schema.loaders import Loaders
from graphql_schema.persisted import PersistedQueries
from plugins import activation
from plugins.context import PluginContext
from plugins.manager import PluginRegistry
from tenants.access import Resolved, acting_in, enter_municipality
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.isolation import STATEMENT_TIMEOUT
from tenants.plugin_activations import PluginActivation, activations
from tenants.unit_of_work import UnitOfWork

T = TypeVar("T")
#: The request lock whose ``shielded`` task is running (nothing cancels a statement in it).
_SHIELDED: ContextVar[Any] = ContextVar("usina_shielded", default=None)


class Routes(dict[tuple[str | int, ...], "Context"]):
    """Other municipalities' contexts, by the response path of the field they answer under
    (``graphql_schema/execution.py`` hands them to every field below it)."""

    def find(self, path: Any) -> Context | None:
        keys: list[str | int] = []
        while path is not None:
            keys.append(path.key)
            path = path.prev
        keys.reverse()
        for end in range(len(keys), 0, -1):
            found = self.get(tuple(keys[:end]))
            if found is not None:
                return found
        return None


@dataclass
class Context:
    request: Request
    response: Response
    db: Database
    settings: Settings
    #: The built-in issuer (signs download links).
    tokens: TokenService
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
    #: Where every mutation commits (built by the app with the job dispatcher and listeners).
    uow: UnitOfWork = field(kw_only=True)
    #: Persisted queries and trusted documents (graphql_schema/persisted.py).
    persisted: PersistedQueries = field(kw_only=True)
    #: Where uploaded files' bytes are kept.
    files: FileStore | None = field(default=None, kw_only=True)
    #: The municipality's date, read once: one answer has one "today".
    _today: date | None = None
    #: Other municipalities' contexts, by response path (``bound_to``); empty when the request
    #: stays in one municipality.
    routes: Routes = field(default_factory=Routes)
    #: The request's own context, for the context of another municipality.
    parent: Context | None = None
    _others: dict[Any, Context] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The loaders refer back to their context weakly: a strong reference would make the
        # request's context (its session, its rows) a reference cycle, freed only by the GC.
        self.loaders = Loaders(cast(Context, weakref.proxy(self)))

    @property
    def locale(self) -> str:
        """The answer's language (``Accept-Language``, else the municipality's, else English)."""
        return locale_of(self.request.scope, self.request.headers.get("accept-language"))

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
                    "Indique um município: cabeçalho X-Tenant ou host <slug>.<domínio base>.",
                ),
                field="X-Tenant",
            )
        return self.resolved

    def sender(self) -> Sender:
        """The bound municipality as the sender of e-mails, with links to this server."""
        municipality = self.tenant().municipality
        return Sender(
            slug=municipality.slug,
            name=municipality.name,
            locale=municipality.locale.value,
            link_base=self.settings.link_base(str(self.request.base_url)),
        )

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
        """A mutation's unit of work (``tenants/unit_of_work.py``) on the request's session:
        the change, its audit events, outbox and data version commit together, or nothing."""
        try:
            async with self.uow.transaction(self.binding, session=self.session) as session:
                yield session
        finally:
            self.loaders.release()  # nothing cached before the change is served after
            self._activations = None

    async def bound_to(self, municipality: Any, path: Sequence[str | int]) -> Context:
        """The context in which fields of ``municipality`` below ``path`` resolve: this one
        if the request is bound to it; else one bound to it, made once per request, for a
        caller who may act there (``tenants.access.acting_in``), whose crossing is audited in
        that municipality (``platform.bind``). Its reads are its own session's, under its own
        row-level security: never a query across municipalities."""
        root = self.parent or self
        binding = self.binding
        if binding is not None and binding.tenant_id == municipality.id:
            return self
        other = root._others.get(municipality.id)
        if other is None:
            principal = await acting_in(root.db, root.principal, municipality)
            resolved = await enter_municipality(root.uow, principal, municipality)
            other = Context(
                request=root.request,
                response=root.response,
                db=root.db,
                settings=root.settings,
                tokens=root.tokens,
                plugins=root.plugins,
                principal=principal,
                resolved=resolved,
                db_lock=root.db_lock,  # one statement at a time, per request
                uow=root.uow,
                persisted=root.persisted,
                files=root.files,
                parent=root,
            )
            other.query_cost = root.query_cost
            root._others[municipality.id] = other
        root.routes[tuple(path)] = other
        return other

    async def exclusive(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` on the request's session, one at a time, and to its end. When a field
        fails, graphql-core cancels its siblings: a statement cancelled half-way would leave the
        session in a state it can be neither used nor closed in, so a cancelled caller waits for
        its statement to finish (holding the session) before it lets the cancellation through.
        Inside ``shielded`` work, which nothing cancels, it runs at once."""
        if self.parent is not None:  # another municipality's: its connection goes back to
            work = self._releasing(work)  # the pool between batches (a page may hold many)
        async with self.db_lock:
            if _SHIELDED.get() is self.db_lock:
                return await work()
            return await _to_its_end(work())

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``work(session)`` as one ``exclusive`` read of the bound municipality: the door
        plugins read through (``usina.Info``), never the session and its lock by hand."""
        self.tenant()
        return await self.exclusive(lambda: work(self.session))

    async def shielded(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` (several ``exclusive`` statements: look-ahead's levels) to its end in
        one task that a cancelled caller waits for, as ``exclusive`` does for one statement
        (a task and a shield per statement cost more than a small statement's round trip)."""

        async def inside() -> T:
            _SHIELDED.set(self.db_lock)  # this task's context (and its children's) only
            return await work()

        return await _to_its_end(inside())

    def _releasing(self, work: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
        async def then_release() -> T:
            result = await work()
            if self._session is not None:
                await self._session.commit()  # a read: ends the transaction, frees the connection
            return result

        return then_release

    async def plugin_activations(self) -> dict[str, PluginActivation]:
        """The bound municipality's plugin rows (one query per request)."""
        if self._activations is None:
            self.tenant()
            self._activations = await self.exclusive(lambda: activations(self.session))
        return self._activations

    async def enabled_plugins(self) -> frozenset[str]:
        return activation.enabled_names(await self.plugin_activations(), self.plugins)

    async def plugin_settings(self, plugin: str) -> dict[str, Any]:
        """The bound municipality's settings of ``plugin`` (for plugins' own resolvers)."""
        row = (await self.plugin_activations()).get(plugin)
        return dict(row.settings) if row else {}

    async def enabled_spec(self, kind: str, name: str, *, field: str) -> Any:
        """The instrument, channel kind or framework ``name``: installed (``BAD_USER_INPUT``
        naming ``field``) and enabled by the bound municipality (``PLUGIN_DISABLED``)."""
        plugin, spec = activation.installed_spec(self.plugins, kind, name, field=field)
        await self.require_plugin(plugin)
        return spec

    async def require_plugin(self, plugin: str) -> None:
        """``PLUGIN_DISABLED`` unless the bound municipality has enabled ``plugin``."""
        activation.require_enabled(self.plugins, await self.enabled_plugins(), plugin)

    def today(self) -> date:
        if self._today is None:
            zone = self.resolved.municipality.timezone if self.resolved else "UTC"
            self._today = datetime.now(ZoneInfo(zone)).date()
        return self._today

    async def close(self) -> None:
        others, self._others = list(self._others.values()), {}
        for other in others:
            await other.close()
        self.loaders.release()
        if self._session is not None:
            async with self.db_lock:  # after the statement in hand, if any
                await self._session.close()
            self._session = None


#: The type of every resolver's ``info``: ``info.context`` is a :class:`Context`, checked.
Info = StrawberryInfo[Context, None]


def _satisfies_plugin_api(context: Context) -> PluginContext:
    """Static check (mypy): plugins' ``usina.Info`` describes this context truthfully."""
    return context


async def _to_its_end(work: Awaitable[T]) -> T:
    """``work`` awaited in a task of its own, which a cancelled caller waits for before it
    lets the cancellation through."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise
