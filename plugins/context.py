"""What a plugin's resolvers may use of the request context (``info.context``).

The GraphQL layer's ``Context`` satisfies this protocol; plugins type their resolvers with
``usina.Info`` and never import the GraphQL layer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info as StrawberryInfo

from core.identity.principal import Principal

T = TypeVar("T")


class PluginContext(Protocol):
    #: Who is calling (the anonymous public included).
    principal: Principal

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` with the request's session (bound to the request's municipality, seeing
        what the caller may see) and give back its result. Sibling fields resolve
        concurrently and a session runs one statement at a time, so reads take turns; and when
        a sibling field fails and graphql-core cancels this one, the statement in hand still
        runs to its end before the cancellation goes through (a statement cut half-way would
        leave the session unusable). Plugins read only through this."""

    def tenant(self) -> Any:
        """The bound municipality (``.municipality``, ``.binding``), or ``TENANT_REQUIRED``."""

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A mutation's unit of work: the change, its audit events and outbox commit together."""

    async def plugin_settings(self, plugin: str) -> dict[str, Any]:
        """The bound municipality's settings of ``plugin``."""

    def today(self) -> date:
        """Today in the bound municipality's time zone."""


#: Type a plugin's resolvers' ``info`` with this, so ``info.context`` is checked.
Info = StrawberryInfo[PluginContext, None]
