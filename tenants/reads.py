"""Read statements built once, with the tenant and publication criteria written in.

An ORM statement gets its criteria when it runs (``isolation.py``'s ``do_orm_execute``): the
statement is copied with ``with_loader_criteria`` options, its cache key is computed again,
lambdas are looked up, and the rows become ORM entities. That is right for services, which
write; it is most of the time of a read-only GraphQL answer.

The read paths (the GraphQL loaders) use the statements of this module instead: Core
``SELECT``\\ s, built once per *shape* (what a principal may see: bound or not, drafts,
evaluation drafts, own contributions), whose criteria are the same rules as the ORM path's
(``visible``: the municipality's ``tenant_id``, then ``core/publication.py``'s
``visibility_rules``) with the municipality and the author as bound parameters. They run on the
session's own connection and transaction (``after_begin`` has set PostgreSQL's
``app.tenant_id``, so row-level security holds here too) and return Core rows, which carry the
mapped attributes by name. On PostgreSQL they are compiled once more, for asyncpg, and run on
its connection directly (``tenants/compiled_reads.py``).

``tests/tenants/test_reads.py`` proves that every shape sees exactly what the ORM path sees.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Uuid, bindparam, false
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ColumnElement, Executable

from core import publication
from core.db.base import TenantOwned
from tenants import compiled_reads, speed
from tenants.context import TenantBinding

#: The bound municipality and the caller's subject, as every statement here names them.
TENANT = bindparam("usina_tenant", type_=Uuid())
AUTHOR = bindparam("usina_author", type_=String())


@dataclass(frozen=True, slots=True)
class Shape:
    """What a session's principal may see; a statement is built once per shape."""

    bound: bool
    sees_drafts: bool = False
    sees_evaluation_drafts: bool = False
    has_author: bool = False


UNBOUND = Shape(bound=False)


def shape_of(binding: TenantBinding | None) -> Shape:
    if binding is None:
        return UNBOUND
    return Shape(
        bound=True,
        sees_drafts=binding.sees_drafts,
        sees_evaluation_drafts=binding.sees_evaluation_drafts,
        has_author=binding.author is not None,
    )


def visible(model: type[Any], columns: Any, shape: Shape) -> list[ColumnElement[bool]]:
    """The WHERE criteria under which ``shape`` sees a row of ``model`` (whose columns are
    ``columns``: a table's or an alias's ``.c``): the ORM path's, as bound parameters."""
    if not issubclass(model, TenantOwned):
        return []
    if not shape.bound:
        return [false()]
    criteria: list[ColumnElement[bool]] = [columns.tenant_id == TENANT]
    for target, condition in publication.visibility_rules(
        TENANT,
        sees_drafts=shape.sees_drafts,
        sees_evaluation_drafts=shape.sees_evaluation_drafts,
        author=AUTHOR if shape.has_author else None,
    ):
        if issubclass(model, target):
            criteria.append(condition(columns))
    return criteria


def binding_of(session: AsyncSession) -> TenantBinding | None:
    binding: TenantBinding | None = session.sync_session.info.get("tenant")
    return binding


async def fetch(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    """Rows of a statement of this module, in the session's transaction (pending ORM changes
    are flushed first, as an ORM query would autoflush them)."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    binding = binding_of(session)
    values = dict(params or {})
    if binding is not None:
        values["usina_tenant"] = binding.tenant_id
        values["usina_author"] = binding.author
    if not speed.FAST.get():  # USINA_ENGINE=stock: SQLAlchemy's own path
        return (await session.execute(statement, values)).all()
    connection, raw = await _connection_of(session)
    return await compiled_reads.rows(connection, statement, values, raw)


#: ``session.info`` key of the connection its transaction runs on (see ``_connection_of``)
_CONNECTION = "usina.connection"


async def _connection_of(
    session: AsyncSession,
) -> tuple[AsyncConnection, compiled_reads.Raw | None]:
    """The session's connection and its asyncpg connection, found once per transaction
    (``session.connection()`` and the raw connection cost two greenlet switches, 20 us, a
    statement): kept in ``session.info`` with the transaction they belong to."""
    sync = session.sync_session
    known = sync.info.get(_CONNECTION)
    current = sync.get_transaction()
    if known is not None and current is not None and known[0]() is current and current.is_active:
        return known[1], known[2]
    connection = await session.connection()
    raw = await compiled_reads.raw_of(connection)
    # The transaction by weak reference: it refers to the session, whose ``info`` this is (a
    # strong one would make the session a reference cycle, freed only by the cyclic GC).
    sync.info[_CONNECTION] = (weakref.ref(sync.get_transaction()), connection, raw)
    return connection, raw
