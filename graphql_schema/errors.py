"""Error shape: every error carries ``extensions.code``; unexpected ones are masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from sqlalchemy.exc import IntegrityError
from strawberry.extensions import SchemaExtension

from core.errors import Conflict, UsinaError
from core.i18n import msg, pick_locale

log = logging.getLogger("usina.graphql")

INTERNAL = msg("Unexpected error.", "Error inesperado.")


def _code_for_graphql(error: GraphQLError) -> str:
    text = error.message
    if text.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if text.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def is_request_error(error: GraphQLError) -> bool:
    """Parse, validation and variable errors: about the request, raised before execution."""
    return error.path is None and not isinstance(error.original_error, UsinaError)


def format_error(error: GraphQLError, locale: str, *, mask: bool) -> GraphQLError:
    original = error.original_error
    if isinstance(original, IntegrityError):
        original = Conflict(
            msg(
                "The change conflicts with existing data.",
                "El cambio entra en conflicto con datos existentes.",
            )
        )
    if isinstance(original, UsinaError):
        return GraphQLError(
            original.message.text(locale),
            nodes=error.nodes,
            path=error.path,
            extensions=original.extensions(locale),
        )
    if original is None or is_request_error(error):
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", _code_for_graphql(error))
        return GraphQLError(
            error.message, nodes=error.nodes, path=error.path, extensions=extensions
        )
    log.error("unexpected error", exc_info=original)
    text = INTERNAL.text(locale) if mask else f"{INTERNAL.text(locale)} {original}"
    return GraphQLError(
        text, nodes=error.nodes, path=error.path, extensions={"code": "INTERNAL_SERVER_ERROR"}
    )


class ErrorCodes(SchemaExtension):
    """Rewrites every error of the result into Usina's shape, in the caller's language."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        context: Any = self.execution_context.context
        request = getattr(context, "request", None)
        locale = pick_locale(request.headers.get("accept-language") if request else None)
        mask = bool(getattr(getattr(context, "settings", None), "environment", "") == "production")
        result.errors = [format_error(e, locale, mask=mask) for e in result.errors]
