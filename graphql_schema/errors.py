"""Error shape: every error carries ``extensions.code``; unexpected ones are masked."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from sqlalchemy.exc import IntegrityError

from core.db.engine import unavailable, unreachable
from core.errors import Conflict, UsinaError
from core.i18n import msg
from graphql_schema.graphql_messages import translated

log = logging.getLogger("usina.graphql")

INTERNAL = msg("Unexpected error.", "Error inesperado.", "Erro inesperado.")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _code_for_graphql(error: GraphQLError) -> str:
    text = error.message
    if text.startswith("Syntax Error: Document contains more than"):
        return "QUERY_TOO_COMPLEX"
    if text.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if text.startswith("Variable '$") and (
        " has invalid value" in text
        or " got invalid value " in text
        or " was not provided" in text
        or "of non-null type" in text
    ):
        return "BAD_USER_INPUT"  # variable coercion: the values, not the document, are wrong
    return "GRAPHQL_VALIDATION_FAILED"


def is_request_error(error: GraphQLError) -> bool:
    """Parse, validation and variable errors: about the request, raised before execution. An
    exception raised outside any field (an extension's) is not one: it is a bug."""
    if error.path is not None or isinstance(error.original_error, UsinaError):
        return False
    return error.original_error is None or error.message.startswith("Variable '$")


def format_error(error: GraphQLError, locale: str, *, mask: bool) -> GraphQLError:
    original = error.original_error
    if original is not None and not isinstance(original, UsinaError) and unreachable(original):
        original = unavailable()
    if isinstance(original, IntegrityError):
        original = Conflict(
            msg(
                "The change conflicts with existing data.",
                "El cambio entra en conflicto con datos existentes.",
                "A mudança entra em conflito com dados existentes.",
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
        if "message" not in extensions:
            texts = translated(error.message, extensions["code"])
            extensions["message"] = texts.as_dict()
            message = texts.text(locale)
        else:  # the three texts came with the error (a limit's, with its numbers)
            given = extensions["message"]
            message = given.get(locale, error.message) if isinstance(given, dict) else error.message
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)
    log.error("unexpected error", exc_info=original)
    text = INTERNAL.text(locale) if mask else f"{INTERNAL.text(locale)} {original}"
    return GraphQLError(
        text, nodes=error.nodes, path=error.path, extensions={"code": "INTERNAL_SERVER_ERROR"}
    )


def refusal(error: UsinaError, locale: str) -> tuple[dict[str, Any], int]:
    """A request refused outside GraphQL execution (a limit, a deadline, a download): the body
    in the same shape as GraphQL errors, and its HTTP status."""
    body = {
        "errors": [{"message": error.message.text(locale), "extensions": error.extensions(locale)}]
    }
    return body, REQUEST_ERROR_STATUS.get(error.code, 400)


def address_refusal(error: UsinaError, locale: str) -> tuple[dict[str, Any], int]:
    """A refusal of a public address (an e-mail's link, an open-data file): what it names
    does not exist is a 404, as a browser and a harvester expect."""
    body, status = refusal(error, locale)
    return body, 404 if error.code in ("NOT_FOUND", "TENANT_UNKNOWN") else status


#: HTTP status of a request refused before execution, when the client speaks
#: application/graphql-response+json (GraphQL over HTTP); anything else is 400.
REQUEST_ERROR_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "TENANT_SUSPENDED": 403,
    "TENANT_UNKNOWN": 404,
    "RATE_LIMITED": 429,
    "CONFLICT": 409,  # an Idempotency-Key reused or still running (graphql_schema/idempotency.py)
    "INTERNAL_SERVER_ERROR": 500,
    "DEADLINE_EXCEEDED": 503,
    "SERVICE_UNAVAILABLE": 503,
    "REQUEST_TOO_LARGE": 413,
}


def request_error_status(errors: list[Any]) -> int:
    codes = [e.get("extensions", {}).get("code") for e in errors]
    statuses = {REQUEST_ERROR_STATUS.get(str(code), 400) for code in codes}
    return statuses.pop() if len(statuses) == 1 else 400


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
