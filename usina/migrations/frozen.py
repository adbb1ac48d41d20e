"""SQL that migrations emit, frozen as those migrations shipped it.

A migration must do tomorrow exactly what it did the day it was released, so migrations never
import live code (``tenants/rls.py`` may change with the app). A new shape of policy or trigger
is a new function here and a new migration; these functions are never edited.
"""

from __future__ import annotations

POLICY = "tenant_isolation"
TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def enable_rls_statements(table: str) -> list[str]:
    """Row-level security on ``table`` (also for its owner), keyed on ``app.tenant_id``."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} USING (tenant_id = {TENANT_EXPR}) "
        f"WITH CHECK (tenant_id = {TENANT_EXPR})",
    ]


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


#: Revision 0014: the tenant-owned append-only tables may lose rows only while their
#: municipality is being erased, which the transaction declares with
#: ``set_config('usina.erasing', '<tenant id>', true)``. Anyone may set that name, but only the
#: tables' owner holds DELETE on them (the app role has SELECT and INSERT), so the app still
#: cannot delete, and nobody can update.
ERASABLE_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION usina_refuse_change_unless_erasing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.tenant_id::text = current_setting('usina.erasing', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$
"""


def erasable_append_only_statements(table: str) -> list[str]:
    """PostgreSQL: ``table``'s append-only trigger, erasable with its municipality."""
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION usina_refuse_change_unless_erasing()",
    ]
