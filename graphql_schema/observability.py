"""Per-request observability: a request id, metrics, and one JSON log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from core import observability as obs

log = logging.getLogger("usina.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,100}$")
_ROUTES = {
    "/graphql": "/graphql",
    "/oauth/token": "/oauth/token",
    "/healthz": "/healthz",
    "/readyz": "/readyz",
    "/metrics": "/metrics",
    "/": "/",
}


def route_of(path: str) -> str:
    """A bounded label: the route template, never the raw path."""
    if path in _ROUTES:
        return _ROUTES[path]
    if path.startswith("/files/"):
        return "/files/{id}"
    if path.startswith("/evidence/"):
        return "/evidence/{slug}/{sha256}"
    if path.startswith("/branding/"):
        return "/branding/{slug}/logo/{sha256}"
    if path.startswith("/open-data/"):
        return "/open-data/{slug}/catalog" if path.endswith(".jsonld") else "/open-data/{file}"
    if path.startswith("/notifications/unsubscribe/"):
        return "/notifications/unsubscribe/{link}"
    if path.startswith("/notifications/confirm/"):
        return "/notifications/confirm/{link}"
    if path.startswith("/.well-known/"):
        return path if path.count("/") == 2 and len(path) < 60 else "other"
    return "other"


class RequestObservability:
    """Pure ASGI middleware (streams untouched): ``X-Request-Id`` in and out, the request's
    context for logs, the HTTP metrics, and the request's log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        tokens = (
            obs.REQUEST_ID.set(request_id),
            obs.TENANT.set(None),
            obs.PRINCIPAL.set(None),
        )
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = dict(message)
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope["path"])
            obs.HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            obs.HTTP_LATENCY.labels(route).observe(elapsed)
            if route not in ("/healthz", "/readyz", "/metrics"):
                query = scope.get("query_string", b"").decode("latin-1")
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"] + (f"?{query}" if query else ""),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            for var, token in zip((obs.REQUEST_ID, obs.TENANT, obs.PRINCIPAL), tokens, strict=True):
                var.reset(token)


class OperationMetrics(SchemaExtension):
    """GraphQL operations by type, (bounded) name and outcome, and their latency."""

    async def on_operation(self) -> AsyncIterator[None]:
        started = time.perf_counter()
        yield
        context: Any = self.execution_context
        try:
            kind = context.operation_type.value.lower()
        except Exception:
            kind = "unknown"
        result = context.result
        outcome = "error" if result is not None and result.errors else "ok"
        name = obs.operation_label(context.operation_name)
        obs.GRAPHQL_OPERATIONS.labels(kind, name, outcome).inc()
        obs.GRAPHQL_LATENCY.labels(kind).observe(time.perf_counter() - started)
