"""Before any resolver runs: authenticate the caller and bind the request to a municipality.

A bad token, an unknown or suspended municipality, or a token of another municipality stops
the operation here with one error and no resolver executed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from core.errors import Unauthenticated, UsinaError
from core.i18n import msg
from core.identity.principal import ANONYMOUS, Principal
from core.identity.tokens import TokenService
from tenants.resolution import resolve, slug_from_host


def authenticate(tokens: TokenService, authorization: str | None) -> Principal:
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            msg("Use 'Authorization: Bearer <token>'.", "Use 'Authorization: Bearer <token>'.")
        )
    return tokens.verify(token.strip())


class RequestBinding(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context: Any = self.execution_context.context
        if self.execution_context.result is not None:  # already refused (a limit): no SQL
            yield
            return
        try:
            headers = context.request.headers
            context.principal = authenticate(context.tokens, headers.get("authorization"))
            host_slug = slug_from_host(headers.get("host"), context.settings.base_domain)
            context.resolved = await resolve(
                context.db, context.principal, headers.get("x-tenant"), host_slug
            )
        except UsinaError as error:
            self.execution_context.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(str(error), original_error=error)]
            )
        yield


class SessionLifecycle(SchemaExtension):
    """Closes the request's session when the operation ends (read transactions roll back)."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context: Any = self.execution_context.context
        if hasattr(context, "close"):
            await context.close()
