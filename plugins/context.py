"""What a plugin's resolvers may use of the request context (``info.context``).

The GraphQL layer's ``Context`` satisfies this protocol; plugins type their resolvers with
``usina.Info`` and never import the GraphQL layer.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info as StrawberryInfo

from core.identity.principal import Principal


class PluginContext(Protocol):
    #: Who is calling (the anonymous public included).
    principal: Principal
    #: Take it around every read through ``session``: sibling fields resolve concurrently,
    #: and a session runs one statement at a time.
    db_lock: asyncio.Lock

    @property
    def session(self) -> AsyncSession:
        """The request's session, bound to the request's municipality."""

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
