"""PostgreSQL row-level security for tenant-owned tables, and the app role's privileges.

Used by migrations (which run as the tables' owner), so it lives in ``core``; the
setting ``app.tenant_id`` (see ``tenants/isolation.py``); when it is unset or empty the
comparison is NULL and no row is visible or writable. ``FORCE`` makes the owner obey too; only
superusers and roles with BYPASSRLS escape, which is why the app must connect as neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

POLICY = "tenant_isolation"
SETTING = "app.tenant_id"
TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def enable_rls_statements(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} USING (tenant_id = {TENANT_EXPR}) "
        f"WITH CHECK (tenant_id = {TENANT_EXPR})",
    ]


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


def apply(execute: Callable[[str], object], statements: Iterable[str]) -> None:
    for statement in statements:
        execute(statement)


APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION usina_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$
"""


def append_only_statements(table: str, dialect: str) -> list[str]:
    """Triggers that refuse UPDATE and DELETE, for every role including the owner."""
    if dialect == "postgresql":
        return [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION usina_refuse_change()"
        ]
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ]
