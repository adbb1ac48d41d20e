"""Roles and the permission table (role x permission), the one vocabulary of access.

Permissions are named ``{action}_{resource}``. Every mutation declares the permission it needs;
nobody checks a role by name elsewhere. ``docs/security.md`` shows this table.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    TENANT_ADMIN = "tenant_admin"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    PARTICIPANT = "participant"


class Permission(StrEnum):
    READ_DRAFTS = "read_drafts"
    EDIT_PLANS = "edit_plans"
    REPORT_PROGRESS = "report_progress"
    EDIT_ACTORS = "edit_actors"
    READ_AUDIT = "read_audit"
    RUN_ASSESSMENTS = "run_assessments"
    PARTICIPATE = "participate"
    MODERATE = "moderate"
    EVALUATE = "evaluate"
    VALIDATE_ASSESSMENTS = "validate_assessments"
    READ_PLUGIN_SETTINGS = "read_plugin_settings"
    MANAGE_PLUGINS = "manage_plugins"
    MANAGE_MUNICIPALITIES = "manage_municipalities"


_STAFF = {
    Permission.READ_DRAFTS,
    Permission.EDIT_PLANS,
    Permission.REPORT_PROGRESS,
    Permission.EDIT_ACTORS,
    Permission.RUN_ASSESSMENTS,
    Permission.MODERATE,
    Permission.PARTICIPATE,
}
_ADMIN = {
    Permission.READ_AUDIT,
    Permission.VALIDATE_ASSESSMENTS,
    Permission.READ_PLUGIN_SETTINGS,
    Permission.EVALUATE,
}

PERMISSIONS: dict[Role | None, frozenset[Permission]] = {
    None: frozenset(),  # the anonymous public
    Role.PARTICIPANT: frozenset({Permission.PARTICIPATE}),
    Role.REVIEWER: frozenset({Permission.PARTICIPATE, Permission.EVALUATE}),
    Role.EDITOR: frozenset(_STAFF),
    Role.TENANT_ADMIN: frozenset(_STAFF | _ADMIN),
    Role.PLATFORM_ADMIN: frozenset(Permission),
}


def has_permission(role: Role | None, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]
