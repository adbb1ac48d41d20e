"""The app role's privileges on PostgreSQL, granted after every migration run.

Row-level security itself (policies on ``app.tenant_id``, ``FORCE``) is created by the
migrations (``usina/migrations/frozen.py``); ``tenants/isolation.py`` sets ``app.tenant_id``
per transaction. When it is unset or empty the policy's comparison is NULL and no row is
visible or writable. ``FORCE`` makes the owner obey too; only superusers and roles with
BYPASSRLS escape, which is why the app must connect as neither.
"""

from __future__ import annotations

from collections.abc import Iterable


def grant_statements(
    role: str,
    tables: Iterable[str],
    append_only: Iterable[str] = (),
    deletable: Iterable[str] = (),
) -> list[str]:
    """Privileges for the app role: DELETE only on link tables (published content is archived,
    never deleted) and only SELECT and INSERT on append-only tables."""
    append_only, deletable = set(append_only), set(deletable)
    quoted = '"' + role.replace('"', '""') + '"'
    out = [f"GRANT USAGE ON SCHEMA public TO {quoted}"]
    for table in tables:
        rights = "SELECT, INSERT" if table in append_only else "SELECT, INSERT, UPDATE"
        if table in deletable:
            rights += ", DELETE"
        out.append(f"REVOKE ALL ON {table} FROM {quoted}")
        out.append(f"GRANT {rights} ON {table} TO {quoted}")
    return out
