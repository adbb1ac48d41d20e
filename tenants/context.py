"""The municipality a request or job is bound to, for its whole lifetime."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TenantBinding:
    """One municipality, and what the bound principal may see of it.

    ``sees_drafts`` is false for the public and participants: draft plans and everything under
    them are then invisible, through the same mechanism that hides other municipalities.
    """

    tenant_id: uuid.UUID
    slug: str
    sees_drafts: bool = False
    #: Reviewers see evaluations before they are published (theirs and their peers').
    sees_evaluation_drafts: bool = False
    #: The signed-in caller's subject: they see their own contributions while they wait for
    #: moderation (or were hidden, with the moderator's reason), as well as published ones.
    author: str | None = None


_current: ContextVar[TenantBinding | None] = ContextVar("usina_tenant", default=None)


def current_binding() -> TenantBinding | None:
    return _current.get()


@contextmanager
def bound_to(binding: TenantBinding | None) -> Iterator[TenantBinding | None]:
    """Bind the current context (request, job, CLI command) to one municipality."""
    token = _current.set(binding)
    try:
        yield binding
    finally:
        _current.reset(token)
