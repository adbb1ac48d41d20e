"""The binding: the one municipality a session (of a request, a job or a command) works in,
and what its principal may see there. Sessions carry it in ``info["tenant"]``."""

from __future__ import annotations

import uuid
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
