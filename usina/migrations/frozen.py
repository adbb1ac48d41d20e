"""SQL that migrations emit, frozen as those migrations shipped it.

A migration must do tomorrow exactly what it did the day it was released, so migrations never
import live code (``tenants/rls.py`` may change with the app). A new shape of policy or trigger
is a new function here and a new migration; these functions are never edited.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

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


# -- Citus-aware table creation (revision 0017 on) ----------------------------------------------

_CITUS_ANCHOR = """
SELECT p.logicalrelid::regclass::text FROM pg_dist_partition p
WHERE p.partmethod = 'h' AND column_to_column_name(p.logicalrelid, p.partkey) = 'tenant_id'
ORDER BY p.colocationid, p.logicalrelid::regclass::text LIMIT 1
"""


def citus_anchor(bind: Any) -> str | None:
    """On a database distributed by ``usina scale distribute``, a municipal table to colocate
    with; ``None`` on SQLite, plain PostgreSQL, or Citus before distributing."""
    if bind.dialect.name != "postgresql":
        return None
    has_citus = bind.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')"
    ).scalar()
    if not has_citus:
        return None
    return bind.exec_driver_sql(_CITUS_ANCHOR).scalar()


def _split_keys(name: str, elements: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
    for element in elements:
        if isinstance(element, sa.Column) and element.foreign_keys:
            raise ValueError(
                f"{name}.{element.name}: declare foreign keys as ForeignKeyConstraint, "
                "not on the column (they are added after the table is placed on Citus)"
            )
    keys = [e for e in elements if isinstance(e, sa.ForeignKeyConstraint)]
    return keys, [e for e in elements if not isinstance(e, sa.ForeignKeyConstraint)]


def _add_keys(table: str, keys: list[Any]) -> None:
    from alembic import op

    for key in keys:
        target = key.elements[0].target_fullname.split(".")[0]
        op.create_foreign_key(
            key.name,
            table,
            target,
            list(key.column_keys),
            [element.target_fullname.split(".")[-1] for element in key.elements],
            ondelete=key.ondelete,
            onupdate=key.onupdate,
        )


def create_tenant_table(name: str, *elements: Any, append_only: bool = False) -> None:
    """Create a municipal table (it must have ``tenant_id`` and key on it) the same way on
    SQLite, plain PostgreSQL and Citus.

    On PostgreSQL: row-level security, forced, with the tenant policy; ``append_only``: the
    triggers that refuse UPDATE and DELETE (erasable with the municipality). On a database
    already distributed (``usina scale distribute``), the table is created without its foreign
    keys, distributed on ``tenant_id`` colocated with the other municipal tables, and the keys
    are added then (a local table cannot reference a distributed one). The migration
    environment runs on Citus with ``citus.multi_shard_modify_mode = 'sequential'``, which
    this needs inside Alembic's one transaction.
    """
    from alembic import op

    bind = op.get_bind()
    dialect = bind.dialect.name
    anchor = citus_anchor(bind)
    keys, rest = _split_keys(name, elements)
    op.create_table(name, *(elements if anchor is None else rest))
    if dialect == "postgresql":
        for statement in enable_rls_statements(name):
            op.execute(statement)
    if append_only:
        statements = (
            erasable_append_only_statements(name)
            if dialect == "postgresql"
            else append_only_statements(name, dialect)
        )
        for statement in statements:
            op.execute(statement)
    if anchor is not None:
        op.execute(
            sa.text(
                "SELECT create_distributed_table(:t, 'tenant_id', colocate_with => :anchor)"
            ).bindparams(t=name, anchor=anchor)
        )
        _add_keys(name, keys)


def create_platform_table(name: str, *elements: Any) -> None:
    """Create a platform table (no ``tenant_id``; it must not reference a municipal table): on a
    distributed database, a reference table, its foreign keys added after."""
    from alembic import op

    keys, rest = _split_keys(name, elements)
    if citus_anchor(op.get_bind()) is None:
        op.create_table(name, *elements)
        return
    op.create_table(name, *rest)
    op.execute(sa.text("SELECT create_reference_table(:t)").bindparams(t=name))
    _add_keys(name, keys)
