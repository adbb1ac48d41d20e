"""The GraphQL HTTP view: strawberry's ASGI view with Usina's context and GraphiQL page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.context import Context
from plugins.manager import PluginRegistry
from tenants.database import Database

PORTAL_QUERY = (Path(__file__).parent / "portal.graphql").read_text()


class UsinaGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        db: Database,
        settings: Settings,
        tokens: TokenService,
        plugins: PluginRegistry,
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
        )

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
