"""The one error hierarchy. Every error has a machine-readable code and a message in English,
Spanish and Portuguese.

The API maps an error to ``extensions.code``, the CLI to an exit code, workers to a job's
error; nobody invents another shape.
"""

from __future__ import annotations

from typing import Any, ClassVar

from core.i18n import Message


class UsinaError(Exception):
    """Base of every error Usina reports on purpose."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    exit_code: ClassVar[int] = 1

    def __init__(
        self,
        message: Message,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message.en)
        self.message = message
        self.field = field
        self.details = details or {}

    def extensions(self, locale: str = "en") -> dict[str, Any]:
        ext: dict[str, Any] = {"code": self.code}
        if self.field:
            ext["field"] = self.field
        ext["message"] = self.message.as_dict()
        ext.update(self.details)
        return ext


class Unauthenticated(UsinaError):
    code = "UNAUTHENTICATED"
    exit_code = 3


class Forbidden(UsinaError):
    code = "FORBIDDEN"
    exit_code = 3


class NotFound(UsinaError):
    code = "NOT_FOUND"
    exit_code = 4


class BadUserInput(UsinaError):
    code = "BAD_USER_INPUT"
    exit_code = 2


class MalformedRequest(UsinaError):
    """A body that is not a GraphQL request at all: invalid UTF-8 or JSON, nested past the
    decoder's depth, not an object. HTTP 400 whatever the client accepts."""

    code = "BAD_REQUEST"
    exit_code = 2


class QueryTooComplex(UsinaError):
    """An operation over a limit (size, fields, depth, aliases, cost), refused before it
    costs anything."""

    code = "QUERY_TOO_COMPLEX"
    exit_code = 2


class Conflict(UsinaError):
    code = "CONFLICT"
    exit_code = 5


class TenantUnknown(UsinaError):
    code = "TENANT_UNKNOWN"
    exit_code = 4


class TenantSuspended(UsinaError):
    code = "TENANT_SUSPENDED"
    exit_code = 3


class TenantRequired(UsinaError):
    code = "TENANT_REQUIRED"
    exit_code = 2


class IsolationViolation(UsinaError):
    """A write that would cross tenants. A bug, never user input: it aborts the transaction."""

    code = "ISOLATION_VIOLATION"
    exit_code = 70


class AppendOnly(UsinaError):
    code = "APPEND_ONLY"
    exit_code = 70


class PluginDisabled(UsinaError):
    """The municipality has not enabled the plugin this field or instrument belongs to."""

    code = "PLUGIN_DISABLED"
    exit_code = 3


class RateLimited(UsinaError):
    code = "RATE_LIMITED"
    exit_code = 75


class DeadlineExceeded(UsinaError):
    code = "DEADLINE_EXCEEDED"
    exit_code = 75


class ServiceUnavailable(UsinaError):
    """A service the request needs (the database) cannot be reached: retry later."""

    code = "SERVICE_UNAVAILABLE"
    exit_code = 69


class RequestTooLarge(UsinaError):
    code = "REQUEST_TOO_LARGE"
    exit_code = 2


class PersistedQueryNotFound(UsinaError):
    """Apollo's automatic persisted queries: the hash is unknown; send the full query once.

    Its message is the protocol's token, ``PersistedQueryNotFound``, in every language:
    clients match on it (and on the code)."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    exit_code = 4


class PersistedQueryRequired(UsinaError):
    """Trusted-documents mode: anonymous clients may only run documents registered before."""

    code = "PERSISTED_QUERY_REQUIRED"
    exit_code = 3


class CitusRequired(UsinaError):
    """``usina scale distribute`` on a database without the ``citus`` extension."""

    code = "CITUS_REQUIRED"
    exit_code = 2


class NotDistributable(UsinaError):
    """The schema, or a table's Citus placement, is not what distributing by ``tenant_id``
    needs; ``details["problems"]`` lists what."""

    code = "NOT_DISTRIBUTABLE"
    exit_code = 5
