"""What the schema must hold for isolation and for Citus, checked on the live PostgreSQL catalog
(after ``usina migrate``), whatever the models or the migrations claim:

- every unique or primary key of a tenant table (a table with ``tenant_id``) includes
  ``tenant_id`` (Citus refuses one that does not include the distribution column);
- every foreign key between tenant tables includes ``tenant_id`` on both sides (the database
  refuses a row pointing at another municipality's, and Citus co-locates them);
- every tenant table has row-level security, forced, with a policy;
- no platform table references a tenant table (a reference table cannot point at a
  distributed one).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

TABLES = """
SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
               AND NOT a.attisdropped) AS tenant_owned,
       (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid
        AND a.attname = 'tenant_id') AS tenant_attnum,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'alembic_version'
"""
UNIQUE_INDEXES = """
SELECT i.indrelid, ci.relname, i.indkey::int2[] AS columns
FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
WHERE i.indisunique
"""
FOREIGN_KEYS = """
SELECT conname, conrelid, confrelid, conkey, confkey FROM pg_constraint WHERE contype = 'f'
"""


async def problems(conn: AsyncConnection) -> list[str]:
    """Every violation found, one line each (empty: the schema is sound)."""
    tables = {row.oid: row for row in await conn.execute(text(TABLES))}
    owned = {oid for oid, row in tables.items() if row.tenant_owned}
    found: list[str] = []
    for oid in sorted(owned, key=lambda o: tables[o].relname):
        row = tables[oid]
        if not (row.relrowsecurity and row.relforcerowsecurity):
            found.append(f"{row.relname}: row-level security is not enabled and forced")
        if not row.has_policy:
            found.append(f"{row.relname}: no row-level security policy")
    for index in await conn.execute(text(UNIQUE_INDEXES)):
        table = tables.get(index.indrelid)
        if table is None or index.indrelid not in owned:
            continue
        if table.tenant_attnum not in list(index.columns):
            found.append(f"{table.relname}: unique index {index.relname} lacks tenant_id")
    for key in await conn.execute(text(FOREIGN_KEYS)):
        source, target = tables.get(key.conrelid), tables.get(key.confrelid)
        if source is None or target is None or key.confrelid not in owned:
            continue
        if key.conrelid not in owned:
            found.append(
                f"{source.relname}: platform table references tenant table {target.relname} "
                f"({key.conname})"
            )
        elif source.tenant_attnum not in list(key.conkey) or target.tenant_attnum not in list(
            key.confkey
        ):
            found.append(f"{source.relname}: foreign key {key.conname} lacks tenant_id")
    return found
