"""Who is acting: a person or an API client with a role, or the anonymous public."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from core.identity.roles import Permission, Role, has_permission


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: Role | None
    #: The municipality the role holds in; ``None`` for the anonymous public and for the
    #: consultancy's staff before a request names a municipality.
    tenant: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)
    #: Who vouched for the subject: the built-in issuer or a municipality's identity provider.
    issuer: str | None = None
    #: An API client's granted scopes (``read``, ``write``); ``None`` for people.
    scopes: frozenset[str] | None = None
    client_id: str | None = None
    person_id: uuid.UUID | None = None
    #: The e-mail address the identity vouches for (a provider's e-mail claim, verified, or
    #: the built-in issuer's ``email`` claim); ``None`` when it vouches for none.
    email: str | None = None
    authenticated: bool = True

    @property
    def is_anonymous(self) -> bool:
        return not self.authenticated

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission, self.scopes)


ANONYMOUS = Principal(subject="anonymous", role=None, authenticated=False)
SYSTEM = Principal(subject="system", role=Role.PLATFORM_ADMIN)
