"""CORS per municipality: a portal on the municipality's own domain calls the API from the
visitor's browser.

Starlette's ``CORSMiddleware`` builds every header; what it asks, *is this origin allowed?*,
is answered here, per request:

- an actual request is allowed for the platform's origins (``USINA_CORS_ORIGINS``) and the
  portal origins of the municipality it is bound to (read from the row the authentication
  step loaded, so no extra query), or named (``X-Tenant``, host) when it was refused;
- a preflight (``OPTIONS``) carries no ``X-Tenant`` value, so it is allowed for the origins
  of the municipality named by the host, or else of any municipality: the browser then sends
  the real request, which only the municipality's own origins can read.

No wildcard and no credentials (tokens travel in ``Authorization``, not cookies). An origin
that is not allowed gets no CORS header at all, only ``Vary: Origin``. The municipalities'
origins are kept in memory and reloaded at most every ``cors_refresh_seconds`` (and at once
in this process after a change), so CORS costs no query per request.
"""

from __future__ import annotations

import asyncio
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import select
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.municipalities.models import Municipality
from core.settings import Settings
from tenants.access import slug_from_host
from tenants.database import Database
from tenants.unit_of_work import Committed

ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-Tenant",
    "X-Request-Id",
    "If-None-Match",
    "Apollo-Require-Preflight",
)
EXPOSED_HEADERS = ("ETag", "X-Request-Id", "Retry-After")
_SCOPE: ContextVar[Scope | None] = ContextVar("usina_cors_scope", default=None)


@dataclass
class PortalOrigins:
    """Every municipality's portal origins, by slug, as this process last read them."""

    db: Database
    refresh_seconds: float
    by_slug: dict[str, frozenset[str]] = field(default_factory=dict)
    loaded_at: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def fresh(self) -> None:
        if time.monotonic() - self.loaded_at < self.refresh_seconds:
            return
        async with self._lock:
            if time.monotonic() - self.loaded_at < self.refresh_seconds:
                return
            async with self.db.session(None) as session:
                rows = await session.execute(select(Municipality.slug, Municipality.portal_origins))
                self.by_slug = {slug: frozenset(origins or ()) for slug, origins in rows}
            self.loaded_at = time.monotonic()

    def any_allows(self, origin: str) -> bool:
        return any(origin in origins for origins in self.by_slug.values())

    async def on_commit(self, committed: Committed) -> None:
        """Unit-of-work listener: a change of portal origins is seen here at once."""
        if any(e.action == "municipality.portal_origins" for e in committed.events):
            self.loaded_at = float("-inf")


class PortalCORS(CORSMiddleware):
    def __init__(self, app: ASGIApp, *, origins: PortalOrigins, settings: Settings) -> None:
        super().__init__(
            app,
            allow_origins=(),
            allow_methods=("GET", "HEAD", "POST", "OPTIONS"),
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=settings.cors_max_age_seconds,
        )
        self.origins = origins
        self.settings = settings
        self.platform = frozenset(settings.cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "origin" not in Headers(scope=scope):
            await self.app(scope, receive, send)
            return
        await self.origins.fresh()
        token = _SCOPE.set(scope)
        try:
            await super().__call__(scope, receive, send)
        finally:
            _SCOPE.reset(token)

    def is_allowed_origin(self, origin: str) -> bool:
        if origin in self.platform:
            return True
        scope = _SCOPE.get()
        if scope is None:
            return False
        identity = scope.get("auth")
        tenant = getattr(identity, "tenant", None)
        if tenant is not None:  # an actual request, bound by the authentication step
            return origin in (tenant.municipality.portal_origins or ())
        headers = Headers(scope=scope)
        slug = (headers.get("x-tenant") or "").strip().lower() or slug_from_host(
            headers.get("host"), self.settings.base_domain
        )
        if slug:
            return origin in self.origins.by_slug.get(slug, frozenset())
        return scope["method"] == "OPTIONS" and self.origins.any_allows(origin)

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(request_headers["origin"]):
            # No CORS header for an origin nobody allowed: the browser blocks the request.
            return PlainTextResponse(
                "Disallowed CORS origin", status_code=400, headers={"Vary": "Origin"}
            )
        return super().preflight_response(request_headers)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        if message["type"] == "http.response.start":
            origin = request_headers.get("origin")
            headers = MutableHeaders(scope=message)
            if origin is not None and self.is_allowed_origin(origin):
                headers.update(self.simple_headers)
                headers["Access-Control-Allow-Origin"] = origin
            varies = {v.strip().lower() for v in ",".join(headers.getlist("vary")).split(",")}
            if "origin" not in varies:
                headers.append("Vary", "Origin")
        await send(message)
