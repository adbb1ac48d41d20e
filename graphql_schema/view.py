"""The GraphQL HTTP view: strawberry's ASGI view with Usina's context and GraphiQL page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from core.i18n import pick_locale
from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.context import Context
from graphql_schema.errors import format_error, request_error_status
from graphql_schema.ratelimit import RateLimiter
from plugins.manager import PluginRegistry
from tenants.database import Database

PORTAL_QUERY = (Path(__file__).parent / "portal.graphql").read_text()
GRAPHQL_RESPONSE = "application/graphql-response+json"


def wants_graphql_response(accept: str | None) -> bool:
    """Whether the client prefers application/graphql-response+json over application/json
    (q-values first, then the order given; no Accept header means application/json)."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept or "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        if media not in (GRAPHQL_RESPONSE, "application/json", "*/*", "application/*"):
            continue
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        candidate = (quality, -position, media)
        if quality > 0 and (best is None or candidate > best):
            best = candidate
    return best is not None and best[2] == GRAPHQL_RESPONSE


class UsinaGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        db: Database,
        settings: Settings,
        tokens: TokenService,
        plugins: PluginRegistry,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.db = db
        self.settings = settings
        self.tokens = tokens
        self.plugins = plugins
        self.rate_limiter = rate_limiter

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(
            request=request,  # type: ignore[arg-type]
            response=response,  # type: ignore[arg-type]
            db=self.db,
            settings=self.settings,
            tokens=self.tokens,
            plugins=self.plugins,
            rate_limiter=self.rate_limiter,
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.usina_graphql_response = wants_graphql_response(  # type: ignore[attr-defined]
            request.headers.get("accept")
        )
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Every error in Usina's shape (``extensions.code``), in the caller's language."""
        if result.errors:
            locale = pick_locale(request.headers.get("accept-language"))
            mask = self.settings.environment == "production"
            result.errors = [format_error(e, locale, mask=mask) for e in result.errors]
        return process_result(result)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """GraphQL over HTTP: a client that accepts application/graphql-response+json gets it;
        a request refused before execution then answers 4xx without a ``data`` entry."""
        if not getattr(sub_response, "usina_graphql_response", False) or isinstance(
            response_data, list
        ):
            return super().create_response(response_data, sub_response)
        errors: list[Any] = list(response_data.get("errors") or [])
        refused = (
            response_data.get("data") is None
            and bool(errors)
            and all(isinstance(e, dict) and "path" not in e for e in errors)
        )
        body: dict[str, Any] = dict(response_data)
        status = sub_response.status_code or 200
        if refused:
            body.pop("data", None)
            status = sub_response.status_code or request_error_status(errors)
        response = Response(self.encode_json(body), status_code=status, media_type=GRAPHQL_RESPONSE)
        response.headers.raw.extend(
            (k, v) for k, v in sub_response.headers.raw if k.lower() != b"content-type"
        )
        return response

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL opening on the portal query, with the demo municipality's header set."""
        html = self.graphql_ide_html
        query_js = json.dumps(PORTAL_QUERY)
        headers_js = json.dumps(json.dumps({"X-Tenant": self.settings.graphiql_tenant}))
        html = html.replace("parameters.q || EXAMPLE_QUERY", f"parameters.q || {query_js}")
        html = html.replace(
            "React.useState(parameters.headers)",
            f"React.useState(parameters.headers || {headers_js})",
        )
        html = html.replace("<title>Strawberry GraphiQL</title>", "<title>Usina GraphiQL</title>")
        return HTMLResponse(html)
