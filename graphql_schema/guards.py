"""Before any resolver runs, once the operation is parsed and within its limits: production
introspection is for the staff, and the operation's cost is taken from the caller's rate-limit
bucket. (Who the caller is was settled in front, by ``graphql_schema/authentication.py``.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLError, Visitor, visit
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from core.errors import Forbidden, Unauthenticated, UsinaError
from core.i18n import msg
from core.identity.roles import Permission
from graphql_schema.ratelimit import charge


class OperationGuard(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context: Any = self.execution_context.context
        if self.execution_context.result is not None:  # already refused (a limit)
            yield
            return
        try:
            _introspection_allowed(context, self.execution_context.graphql_document)
            await _rate_limit(context)
            tenant = context.resolved.binding.slug if context.resolved else None
            await context.persisted.remember(
                self.execution_context.query,
                self.execution_context.operation_extensions,
                tenant,
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


def introspects(document: DocumentNode | None) -> bool:
    """Whether the operation asks for ``__schema`` or ``__type`` (``__typename`` is fine)."""
    found = False

    class Finder(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            nonlocal found
            if node.name.value in ("__schema", "__type"):
                found = True

    if document is not None:
        visit(document, Finder())
    return found


def _introspection_allowed(context: Any, document: DocumentNode | None) -> None:
    """In production the schema is shown to the staff only."""
    if context.settings.environment != "production" or not introspects(document):
        return
    principal = context.principal
    if principal.can(Permission.INTROSPECT):
        return
    if principal.is_anonymous:
        raise Unauthenticated(
            msg(
                "Introspection needs a staff member's token.",
                "La introspección requiere el token de una persona del equipo.",
                "A introspecção requer o token de uma pessoa da equipe.",
            )
        )
    raise Forbidden(
        msg(
            "Introspection is for the staff only.",
            "La introspección es solo para el equipo.",
            "A introspecção é só para a equipe.",
        )
    )


async def _rate_limit(context: Any) -> None:
    """Take the operation's cost from the caller's bucket, or refuse with 429."""
    tenant = context.resolved.binding.slug if context.resolved else "-"
    cost = context.query_cost.rate_limit_cost if context.query_cost else 1
    client = context.request.client.host if context.request.client else "unknown"
    context.rate_limit = await charge(
        getattr(context, "rate_limiter", None),
        context.settings,
        context.principal,
        tenant,
        client,
        cost,
        context.response,
    )
