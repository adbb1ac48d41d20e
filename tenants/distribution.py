"""Distributing the schema on Citus by municipality: ``usina scale distribute``.

Which table goes where is read from the catalog with the schema lint's rule
(``tenants/schema_lint.py``): a table with a ``tenant_id`` column belongs to municipalities and
becomes a **distributed table**, hash-distributed on ``tenant_id`` and colocated with every
other one (a municipality's rows of every table live on one shard group, so its joins and
foreign keys stay on one node); every other table of the schema is a platform table and becomes
a **reference table** (copied to every node). ``alembic_version`` stays on the coordinator.

The order that works, in one transaction (either everything is distributed or nothing is):

1. refuse unless the ``citus`` extension is installed and the schema lint finds nothing (Citus
   refuses a unique key without the distribution column, and so on);
2. ``citus.multi_shard_modify_mode = 'sequential'`` (creating shards, copying rows and adding
   foreign keys in one transaction needs one connection per worker) and
   ``citus.enable_unsafe_triggers = on`` (the append-only triggers; their function reads only
   the row and a setting, so running it on each shard is safe);
3. drop every foreign key that touches a table still to be placed (while they exist,
   ``create_reference_table`` pulls the tables that reference it into "Citus local" tables,
   which can then no longer be distributed);
4. ``create_reference_table`` for the platform tables, ``create_distributed_table`` for the
   municipal ones, the first colocated with nothing before, the others with it;
5. put every dropped foreign key back, as it was (``pg_get_constraintdef``), which Citus
   validates on the shards;
6. ``ALTER DATABASE ... SET citus.propagate_set_commands = 'local'``: the ``SET LOCAL
   app.tenant_id`` every transaction runs (``tenants/isolation.py``) then reaches the workers'
   shards, whose row-level security policies read it. New connections take it: restart the app
   (or let its pool recycle) after the first run.

Run again, it places only what is not placed yet (a table a migration created without the
helper, say) and otherwise changes nothing. A table already placed the wrong way (a municipal
table as a reference or "Citus local" table, or distributed on another column) is refused, not
silently moved: that is an operator's decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.errors import CitusRequired, NotDistributable
from core.i18n import msg
from tenants import schema_lint

#: The database setting that makes Citus forward ``SET LOCAL`` to the workers.
PROPAGATE_SET_COMMANDS = "citus.propagate_set_commands"

HAS_CITUS = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')"

#: Each table's Citus placement: partmethod 'h' is hash-distributed, 'n' with repmodel 't' a
#: reference table, 'n' with repmodel 's' a "Citus local" table.
PLACEMENTS = """
SELECT c.relname AS name, p.partmethod::text AS partmethod, p.repmodel::text AS repmodel,
       CASE WHEN p.partmethod = 'h' THEN column_to_column_name(p.logicalrelid, p.partkey)
       END AS column_name
FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
"""

#: Foreign keys between the schema's tables, with their definitions to put them back.
FOREIGN_KEYS = """
SELECT con.conname AS name, src.relname AS source, dst.relname AS target,
       pg_get_constraintdef(con.oid) AS definition
FROM pg_constraint con
JOIN pg_class src ON src.oid = con.conrelid JOIN pg_namespace n ON n.oid = src.relnamespace
JOIN pg_class dst ON dst.oid = con.confrelid
WHERE con.contype = 'f' AND n.nspname = current_schema()
ORDER BY src.relname, con.conname
"""


@dataclass
class Distribution:
    """What ``distribute`` did (empty lists: everything was already placed)."""

    reference: list[str] = field(default_factory=list)
    distributed: list[str] = field(default_factory=list)
    foreign_keys: int = 0
    already_placed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.reference or self.distributed)


async def has_citus(conn: AsyncConnection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool((await conn.execute(text(HAS_CITUS))).scalar())


async def distribute(engine: AsyncEngine, *, shard_count: int | None = None) -> Distribution:
    """Place every table of the schema on Citus (see the module docstring). Connects as the
    tables' owner."""
    async with engine.connect() as conn:
        if not await has_citus(conn):
            raise CitusRequired(
                msg(
                    "This database has no citus extension: run CREATE EXTENSION citus on the "
                    "coordinator (and add the workers) before distributing.",
                    "Esta base de datos no tiene la extensión citus: ejecute CREATE EXTENSION "
                    "citus en el coordinador (y agregue los workers) antes de distribuir.",
                    "Este banco de dados não tem a extensão citus: execute CREATE EXTENSION "
                    "citus no coordenador (e adicione os workers) antes de distribuir.",
                )
            )
        await conn.rollback()
        try:
            async with conn.begin():
                done = await _place(conn, shard_count)
                database = (await conn.execute(text("SELECT current_database()"))).scalar_one()
                quote = conn.dialect.identifier_preparer.quote
                await conn.exec_driver_sql(
                    f"ALTER DATABASE {quote(database)} SET {PROPAGATE_SET_COMMANDS} = 'local'"
                )
        except DBAPIError as error:  # Citus or PostgreSQL said no: everything rolled back
            reason = str(error.orig).strip().splitlines()[0]
            raise NotDistributable(
                msg(
                    f"The database refused to distribute ({reason}). Nothing was changed.",
                    f"La base de datos rechazó la distribución ({reason}). No se cambió nada.",
                    f"O banco de dados recusou a distribuição ({reason}). Nada foi alterado.",
                ),
                details={"problems": [reason]},
            ) from error
    return done


async def _place(conn: AsyncConnection, shard_count: int | None) -> Distribution:
    quote = conn.dialect.identifier_preparer.quote
    problems = await schema_lint.problems(conn)
    tables = {
        row.relname: row.tenant_owned
        for row in sorted(await conn.execute(text(schema_lint.TABLES)), key=lambda r: r.relname)
    }
    placed = {row.name: row for row in await conn.execute(text(PLACEMENTS))}
    for name, owned in tables.items():
        where = placed.get(name)
        if where is None:
            continue
        if owned and not (where.partmethod == "h" and where.column_name == "tenant_id"):
            problems.append(f"{name}: a municipal table placed other than distributed by tenant_id")
        if not owned and not (where.partmethod == "n" and where.repmodel == "t"):
            problems.append(f"{name}: a platform table placed other than as a reference table")
    if problems:
        raise NotDistributable(
            msg(
                "The schema cannot be distributed by municipality as it stands: "
                + "; ".join(problems),
                "El esquema no se puede distribuir por municipio tal como está: "
                + "; ".join(problems),
                "O esquema não pode ser distribuído por município como está: "
                + "; ".join(problems),
            ),
            details={"problems": problems},
        )
    pending = [name for name in tables if name not in placed]
    done = Distribution(already_placed=len(tables) - len(pending))
    if not pending:
        return done

    await conn.exec_driver_sql("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
    await conn.exec_driver_sql("SET LOCAL citus.enable_unsafe_triggers TO on")
    if shard_count is not None:
        await conn.exec_driver_sql(f"SET LOCAL citus.shard_count TO {int(shard_count)}")

    keys = [
        key
        for key in await conn.execute(text(FOREIGN_KEYS))
        if key.source in pending or key.target in pending
    ]
    for key in keys:
        await conn.exec_driver_sql(
            f"ALTER TABLE {quote(key.source)} DROP CONSTRAINT {quote(key.name)}"
        )

    for name in pending:
        if not tables[name]:
            await conn.execute(text("SELECT create_reference_table(:t)"), {"t": name})
            done.reference.append(name)
    anchor = next((name for name, where in placed.items() if where.partmethod == "h"), None)
    for name in pending:
        if not tables[name]:
            continue
        await conn.execute(
            text("SELECT create_distributed_table(:t, 'tenant_id', colocate_with => :with)"),
            {"t": name, "with": anchor or "none"},
        )
        anchor = anchor or name
        done.distributed.append(name)

    for key in keys:
        await conn.exec_driver_sql(
            f"ALTER TABLE {quote(key.source)} ADD CONSTRAINT {quote(key.name)} {key.definition}"
        )
    done.foreign_keys = len(keys)
    for name in pending:  # the rows now live on the shards; the coordinator's copy goes
        await conn.execute(
            text("SELECT truncate_local_data_after_distributing_table(:t)"), {"t": name}
        )
    return done
