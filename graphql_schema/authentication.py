"""Authentication and the bound municipality: one ASGI middleware in front of every endpoint.

Starlette's ``AuthenticationMiddleware`` shape: for every HTTP request (GraphQL, the GraphiQL
page, downloads, the OAuth token endpoint) the caller is authenticated once, from the
``Authorization`` header, the ``X-Tenant`` header and the host name, and the result sits on
the scope: ``scope["user"]`` is the :class:`~core.identity.principal.Principal` (the anonymous
public included) and ``scope["auth"]`` the :class:`Identity` (principal and municipality).
Endpoints and resolvers read it there; none authenticates again.

A bad token, an unknown or suspended municipality, or a token of another municipality is
refused here, the same way on every endpoint: the status of ``graphql_schema.errors`` (401
with ``WWW-Authenticate: Bearer error="invalid_token"`` for a token), a JSON body of GraphQL
errors with ``extensions.code``, in the caller's language.

The operational endpoints (``/healthz``, ``/readyz``, ``/metrics``, ``/.well-known/…``) and
GraphiQL's static assets are not behind it: probes and key discovery must not depend on the
database or on a header.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from core import observability as obs
from core.db.engine import unavailable, unreachable
from core.errors import DeadlineExceeded, UsinaError
from core.i18n import msg, pick_locale
from core.identity.principal import Principal
from core.settings import Settings
from graphql_schema.errors import GRAPHQL_RESPONSE, refusal, wants_graphql_response
from tenants.access import Authenticator, Resolved, slug_from_host

#: Seconds a client should wait before retrying a request refused with 503.
RETRY_AFTER = "5"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
OPEN_PREFIXES = ("/.well-known/", "/graphiql/assets/")


@dataclass(frozen=True)
class Identity:
    """Who is calling, and the municipality the request is bound to (``None``: none named)."""

    principal: Principal
    tenant: Resolved | None


def locale_of(scope: Scope, accept_language: str | None) -> str:
    """The language of the answer: the one the caller asks for (``Accept-Language``), else the
    bound municipality's, else English."""
    identity = scope.get("auth")
    default = "en"
    if isinstance(identity, Identity) and identity.tenant is not None:
        default = identity.tenant.municipality.locale.value
    return pick_locale(accept_language, default=default)


def identity_of(scope: Scope) -> Identity:
    """The request's identity, as the middleware left it on the scope."""
    identity = scope.get("auth")
    if not isinstance(identity, Identity):
        raise RuntimeError("the Authentication middleware did not run for this request")
    return identity


class Authentication:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        settings: Settings,
        credentials_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.settings = settings
        #: Paths where ``Authorization: Basic`` is an API client's credentials,
        #: which the endpoint itself checks (the OAuth token endpoint).
        self.credentials_paths = credentials_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        authorization = headers.get("authorization")
        if path in self.credentials_paths and _scheme(authorization) == "basic":
            authorization = None  # the client's own credentials: the endpoint verifies them
        # One deadline for the whole request, authentication included; endpoints run
        # inside what is left of it (``scope["usina.deadline"]``, event-loop time).
        seconds = self.settings.request_timeout_seconds
        deadline = asyncio.get_running_loop().time() + seconds
        scope["usina.deadline"] = deadline
        try:
            async with asyncio.timeout_at(deadline):
                principal, tenant = await self.authenticator.authenticate(
                    authorization,
                    headers.get("x-tenant"),
                    slug_from_host(headers.get("host"), self.settings.base_domain),
                )
        except UsinaError as error:
            await self._refuse(error, headers, send)
            return
        except TimeoutError:
            await self._refuse(past_deadline(seconds), headers, send)
            return
        except Exception as error:
            if not unreachable(error):
                raise
            await self._refuse(unavailable(), headers, send)
            return
        obs.PRINCIPAL.set(
            "anonymous" if principal.is_anonymous else f"{principal.role}:{principal.subject}"
        )
        if tenant is not None:
            obs.TENANT.set(tenant.binding.slug)
        scope["user"] = principal
        scope["auth"] = Identity(principal=principal, tenant=tenant)
        await self.app(scope, receive, send)

    async def _default_locale(self, headers: Headers) -> str:
        """The language of the municipality the request names, if it names one that exists
        (the refusal may be of the token, before anything was bound)."""
        slug = headers.get("x-tenant") or slug_from_host(
            headers.get("host"), self.settings.base_domain
        )
        if not slug:
            return "en"
        try:
            municipality = await self.authenticator.municipalities.find(slug)
        except Exception:  # the refusal must go out whatever the directory's state
            return "en"
        return municipality.locale.value if municipality is not None else "en"

    async def _refuse(self, error: UsinaError, headers: Headers, send: Send) -> None:
        obs.GRAPHQL_ERRORS.labels(error.code).inc()
        locale = pick_locale(headers.get("accept-language"), await self._default_locale(headers))
        body, status = refusal(error, locale)
        wanted = wants_graphql_response(headers.get("accept"))
        raw = [
            (b"content-type", (GRAPHQL_RESPONSE if wanted else "application/json").encode()),
            (b"cache-control", b"no-store"),
        ]
        if status == 401:
            raw.append((b"www-authenticate", b'Bearer error="invalid_token"'))
        if status == 503:
            raw.append((b"retry-after", RETRY_AFTER.encode()))
        content = json.dumps(body, ensure_ascii=False).encode()
        raw.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": content})


def past_deadline(seconds: float) -> DeadlineExceeded:
    return DeadlineExceeded(
        msg(
            f"The request took longer than {seconds:g} s and was stopped.",
            f"La solicitud superó {seconds:g} s y se detuvo.",
            f"A solicitação passou de {seconds:g} s e foi interrompida.",
        )
    )


def _scheme(authorization: str | None) -> str:
    return (authorization or "").split(" ", 1)[0].lower()
