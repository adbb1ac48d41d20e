"""Roles and the permission table (role x permission), the one vocabulary of access.

Permissions are named ``{action}_{resource}``. Every mutation declares the permission it needs;
nobody checks a role by name elsewhere. ``docs/security.md`` shows this table.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    CONSULTANT = "consultant"
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
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_CLIENTS = "manage_api_clients"
    MANAGE_IDENTITY_PROVIDERS = "manage_identity_providers"
    INTROSPECT = "introspect"
    RUN_JOBS = "run_jobs"
    MANAGE_JOBS = "manage_jobs"
    MANAGE_WEBHOOKS = "manage_webhooks"
    MANAGE_PORTALS = "manage_portals"
    #: The municipality's own record: name, website, language, time zone, population.
    EDIT_MUNICIPALITY = "edit_municipality"
    MANAGE_STAFF = "manage_staff"
    MANAGE_MUNICIPALITIES = "manage_municipalities"
    #: The consultancy's view across municipalities: the list of municipalities, and the
    #: portfolio of those the caller accompanies.
    READ_PORTFOLIO = "read_portfolio"


#: The consultancy's roles: they act across municipalities (``consultant`` only where granted).
STAFF_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.CONSULTANT})
#: The roles a municipality gives its people and API clients.
MUNICIPAL_ROLES = frozenset({Role.TENANT_ADMIN, Role.EDITOR, Role.REVIEWER, Role.PARTICIPANT})

#: What an API client's scopes allow: ``read`` the non-public reads, ``write`` everything else.
READ_PERMISSIONS = frozenset(
    {
        Permission.READ_DRAFTS,
        Permission.READ_AUDIT,
        Permission.READ_PLUGIN_SETTINGS,
        Permission.INTROSPECT,
    }
)


_STAFF = {
    Permission.READ_DRAFTS,
    Permission.EDIT_PLANS,
    Permission.REPORT_PROGRESS,
    Permission.EDIT_ACTORS,
    Permission.RUN_ASSESSMENTS,
    Permission.MODERATE,
    Permission.PARTICIPATE,
    Permission.INTROSPECT,
    Permission.RUN_JOBS,
}
_ADMIN = {
    Permission.READ_AUDIT,
    Permission.VALIDATE_ASSESSMENTS,
    Permission.READ_PLUGIN_SETTINGS,
    Permission.EVALUATE,
    Permission.MANAGE_MEMBERS,
    Permission.MANAGE_API_CLIENTS,
    Permission.MANAGE_IDENTITY_PROVIDERS,
    Permission.MANAGE_JOBS,
    Permission.MANAGE_WEBHOOKS,
    Permission.MANAGE_PORTALS,
    Permission.EDIT_MUNICIPALITY,
}
_PLATFORM_ONLY = {Permission.MANAGE_MUNICIPALITIES, Permission.MANAGE_STAFF}

PERMISSIONS: dict[Role | None, frozenset[Permission]] = {
    None: frozenset(),  # the anonymous public
    Role.PARTICIPANT: frozenset({Permission.PARTICIPATE}),
    Role.REVIEWER: frozenset({Permission.PARTICIPATE, Permission.EVALUATE}),
    Role.EDITOR: frozenset(_STAFF),
    Role.TENANT_ADMIN: frozenset(_STAFF | _ADMIN),
    # The consultancy's staff in a municipality granted to them: everything but the platform.
    Role.CONSULTANT: frozenset(set(Permission) - _PLATFORM_ONLY),
    Role.PLATFORM_ADMIN: frozenset(Permission),
}


def has_permission(
    role: Role | None, permission: Permission, scopes: frozenset[str] | None = None
) -> bool:
    """Whether ``role`` holds ``permission``; an API client's ``scopes`` narrow it further."""
    if permission not in PERMISSIONS[role]:
        return False
    if scopes is None:
        return True
    return ("read" if permission in READ_PERMISSIONS else "write") in scopes
