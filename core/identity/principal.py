"""Who is acting: a person or client with a role, or the anonymous public."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.identity.roles import Permission, Role, has_permission


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: Role | None
    #: The municipality the token was issued for; ``None`` for platform admins (all of them).
    tenant: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)


ANONYMOUS = Principal(subject="anonymous", role=None)
SYSTEM = Principal(subject="system", role=Role.PLATFORM_ADMIN)
