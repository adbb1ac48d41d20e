"""Requests are answered only for the platform's own host names.

Links in answers come from the configured public URL (required in production), and the
response cache keys on the link base; on top of that, a request whose ``Host`` is neither the
platform's (its public URL's, its issuer's) nor a municipality's (``<slug>.<base domain>``)
is refused with 400 ``HOST_NOT_ALLOWED`` before anything else runs, as Django's
``ALLOWED_HOSTS`` does. The probes' paths (``/healthz``, ``/readyz``) answer any host: a
kubelet calls them by the pod's address.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from core.i18n import msg, pick_locale
from core.settings import Settings

PROBES = frozenset({"/healthz", "/readyz"})
NOT_ALLOWED = msg(
    "This server does not answer for that host name.",
    "Este servidor no responde para ese nombre de host.",
    "Este servidor não responde para esse nome de host.",
)


def allowed(host: str, patterns: list[str]) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    for pattern in patterns:
        if pattern.startswith("*."):
            if name.endswith(pattern[1:]) and name != pattern[2:]:
                return True
        elif name == pattern:
            return True
    return False


class TrustedHosts:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.patterns = settings.trusted_hosts()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.patterns or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope.get("path") in PROBES or allowed(headers.get("host", ""), self.patterns):
            await self.app(scope, receive, send)
            return
        locale = pick_locale(headers.get("accept-language"))
        extensions = {"code": "HOST_NOT_ALLOWED", "message": NOT_ALLOWED.as_dict()}
        error = {"message": NOT_ALLOWED.text(locale), "extensions": extensions}
        body = json.dumps({"errors": [error]}, ensure_ascii=False).encode()
        response_headers: list[Any] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"private, no-store"),
        ]
        await send({"type": "http.response.start", "status": 400, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})
