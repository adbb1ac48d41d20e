"""The read statements of ``tenants/reads.py``, compiled once for asyncpg and run on its
connection directly (PostgreSQL only).

SQLAlchemy's execution of a Core statement that is already compiled and cached still costs more
than the query on a small page: the execution context, parameter processing, rendering the
``IN`` lists again (one placeholder per value), a greenlet switch into the synchronous core and
back, and the result's metadata. On the portal query (eleven statements) that was a quarter of
a request's CPU. Here a statement is compiled once per dialect into:

- the SQL text, each ``IN``/``NOT IN`` list rewritten as ``= ANY($n::type[])`` /
  ``<> ALL($n::type[])`` (one array parameter: the same text whatever the number of values,
  so asyncpg's statement cache keeps one prepared statement), and every parameter numbered by
  name;
- the bind processors SQLAlchemy would apply to each parameter, and the result processors it
  would apply to each column (found for the column types the server reports, on the first run);
- a row class: a tuple with the columns as attributes, like SQLAlchemy's ``Row``.

It runs on the session's own connection and transaction, under the adapter's mutex (as
SQLAlchemy's own execution does), after ``after_begin`` has bound the municipality. Listeners of
``before_cursor_execute`` still see each statement. An error is handed to SQLAlchemy's own
handling, so it arrives as the same ``DBAPIError`` (and an invalidated connection is dropped
from the pool the same way). A statement this cannot rewrite, SQLite, or an adapter that is
not asyncpg's takes SQLAlchemy's path unchanged (``None`` from :func:`compiled`).

:func:`alone` runs such a statement (the worker's claim and success, an ``UPDATE ...
RETURNING``) in a transaction of its own on a pooled connection: ``BEGIN`` and the binding's
``SET LOCAL`` in one simple query, the statement, ``COMMIT``.

``tests/tenants/test_reads.py`` compares every statement of the loaders on both paths.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal, NamedTuple, NoReturn

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn

from tenants.isolation import begin_query, binding_statements

#: ``IN (__[POSTCOMPILE_name])`` lists, any other post-compiled parameter (not rewritten), and
#: numbered parameters, in the order they appear.
_TOKEN = re.compile(r"(NOT IN|IN) \(__\[POSTCOMPILE_(\w+)\]\)|__\[POSTCOMPILE_(\w+)\]|\$(\d+)")

#: Statements compiled so far (bounded: a statement built per request would only churn it).
_CACHE_SIZE = 512
_cache: OrderedDict[tuple[int, str], tuple[Executable, Compiled | None]] = OrderedDict()
_lock = threading.Lock()


@dataclass(eq=False)
class Compiled:
    sql: str
    names: tuple[str, ...]  #: the parameter of each ``$n``, in order
    params: tuple[Any, ...]  #: each one's ``BindParameter`` (for a value bound in the statement)
    arrays: frozenset[str]  #: parameters passed as one array (the ``IN`` lists)
    binds: tuple[Callable[[Any], Any] | None, ...]  #: each parameter's bind processor
    columns: tuple[Any, ...]  #: each result column's SQLAlchemy type
    row: type[tuple[Any, ...]]
    dialect: Dialect
    #: (index, processor) of each result column SQLAlchemy processes, once the server has
    #: told the columns' types (``None`` before the first run)
    processed: tuple[tuple[int, Callable[[Any], Any]], ...] | None = field(default=None)


def _row_class(keys: Sequence[str]) -> type[tuple[Any, ...]]:
    """A tuple whose items are also attributes by column name (``_rank`` included)."""
    namespace: dict[str, Any] = {"__slots__": (), "_fields": tuple(keys)}
    for index, key in enumerate(keys):
        namespace[key] = property(itemgetter(index))
    namespace["_mapping"] = property(lambda row: dict(zip(row._fields, row, strict=True)))
    return type("ReadRow", (tuple,), namespace)


def compiled(statement: Executable, dialect: Dialect) -> Compiled | None:
    """``statement`` compiled for asyncpg, or ``None`` where SQLAlchemy must run it."""
    key = (id(statement), dialect.name)
    with _lock:  # the worker's threads may read too
        hit = _cache.get(key)
        if hit is not None and hit[0] is statement:
            _cache.move_to_end(key)
            return hit[1]
    result = _compile(statement, dialect) if dialect.driver == "asyncpg" else None
    with _lock:
        _cache[key] = (statement, result)  # the statement kept alive with its id
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _compile(statement: Executable, dialect: Dialect) -> Compiled | None:
    try:
        sa_compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        positional = [n for n in sa_compiled.positiontup if not sa_compiled.binds[n].expanding]
        numbers: dict[str, int] = {}
        names: list[str] = []
        arrays: set[str] = set()
        unsupported = False

        def number(name: str) -> int:
            if name not in numbers:
                numbers[name] = len(names) + 1
                names.append(name)
            return numbers[name]

        def rewrite(match: re.Match[str]) -> str:
            nonlocal unsupported
            if match.group(2):
                name = match.group(2)
                element_type = sa_compiled.binds[name].type.compile(dialect=dialect)
                arrays.add(name)
                operator = "<> ALL" if match.group(1) == "NOT IN" else "= ANY"
                return f"{operator}(${number(name)}::{element_type}[])"
            if match.group(3):
                unsupported = True
                return match.group(0)
            return f"${number(positional[int(match.group(4)) - 1])}"

        sql = _TOKEN.sub(rewrite, sa_compiled.string)
        if sa_compiled.insert_prefetch or sa_compiled.update_prefetch:
            return None  # a column default SQLAlchemy computes at execution time
        if unsupported or not sa_compiled._result_columns:
            return None
        processors = sa_compiled._bind_processors
        columns = sa_compiled._result_columns
        return Compiled(
            sql=sql,
            names=tuple(names),
            params=tuple(sa_compiled.binds[name] for name in names),
            arrays=frozenset(arrays),
            binds=tuple(processors.get(name) for name in names),
            columns=tuple(column[3] for column in columns),
            row=_row_class([column[0] for column in columns]),
            dialect=dialect,
        )
    except Exception:  # anything unexpected: SQLAlchemy's own path, which will say why
        return None


def _arguments(plan: Compiled, values: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for name, param, process in zip(plan.names, plan.params, plan.binds, strict=True):
        value = values.get(name, param.effective_value)  # a literal bound in the statement
        if name in plan.arrays:
            value = [process(item) for item in value] if process is not None else list(value)
        elif process is not None:
            value = process(value)
        out.append(value)
    return out


class Raw(NamedTuple):
    """What :func:`fetch` runs a statement on: the adapter's connection, asyncpg's, and the
    adapter's mutex (``None`` where the adapter is not asyncpg's)."""

    adapted: Any
    driver: Any
    mutex: Any


async def raw_of(connection: AsyncConnection) -> Raw | None:
    """``connection``'s asyncpg connection, or ``None`` (not the asyncpg adapter)."""
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection
    driver = getattr(adapted, "driver_connection", None)
    mutex = getattr(adapted, "_execute_mutex", None)
    if driver is None or mutex is None:
        return None
    return Raw(adapted, driver, mutex)


async def fetch(
    connection: AsyncConnection,
    plan: Compiled,
    values: Mapping[str, Any],
    raw: Raw | Literal[False] | None = False,
) -> list[Any] | None:
    """The rows of ``plan`` on ``connection`` (``None``: run it through SQLAlchemy instead);
    ``raw``: the connection's :func:`raw_of`, if the caller knows it."""
    if raw is False:
        raw = await raw_of(connection)
    if raw is None or getattr(raw.adapted, "_transaction", None) is None:
        return None  # not the asyncpg adapter, or no transaction begun: SQLAlchemy's path
    adapted, driver, mutex = raw
    arguments = _arguments(plan, values)
    sync = connection.sync_connection
    if sync is not None and (sync._has_events or sync.engine._has_events):
        sync.dispatch.before_cursor_execute(sync, None, plan.sql, arguments, None, False)
    try:
        async with mutex:
            if plan.processed is None:
                await _learn_columns(driver, plan)
            records = await driver.fetch(plan.sql, *arguments)
    except Exception as error:
        await _raise_as_sqlalchemy(connection, adapted, error, plan.sql, arguments)
        raise  # not reached: the line above raises
    return _rows(plan, records)


async def rows(
    connection: AsyncConnection,
    statement: Executable,
    values: Mapping[str, Any],
    raw: Raw | Literal[False] | None = False,
) -> Sequence[Any]:
    """The rows of ``statement`` on ``connection``: compiled for asyncpg where it can be
    (:func:`compiled`, :func:`fetch`), otherwise through SQLAlchemy."""
    plan = compiled(statement, connection.dialect)
    if plan is not None:
        found = await fetch(connection, plan, values, raw)
        if found is not None:
            return found
    return (await connection.execute(statement, values)).all()


async def _learn_columns(driver: Any, plan: Compiled) -> None:
    """Find the result processors of ``plan``'s columns for the types the server reports."""
    prepared = await driver.prepare(plan.sql)
    types = [attribute.type.oid for attribute in prepared.get_attributes()]
    processors = [
        kind._cached_result_processor(plan.dialect, oid)
        for kind, oid in zip(plan.columns, types, strict=True)
    ]
    plan.processed = tuple((i, p) for i, p in enumerate(processors) if p is not None)


def _rows(plan: Compiled, records: Sequence[Any]) -> list[Any]:
    row = plan.row
    processed = plan.processed
    if not processed:
        return [row(record) for record in records]
    out = []
    for record in records:
        items = list(record)
        for index, process in processed:
            items[index] = process(items[index])
        out.append(row(items))
    return out


async def _raise_as_sqlalchemy(
    connection: AsyncConnection, adapted: Any, error: Exception, sql: str, arguments: list[Any]
) -> None:
    """Raise ``error`` as SQLAlchemy would have: translated by the adapter, then wrapped in a
    ``DBAPIError`` by the connection (which invalidates it if the server is gone)."""
    try:
        adapted._handle_exception(error)
    except Exception as translated:
        caught = translated

        def handle(sync: Any) -> None:
            sync._handle_dbapi_exception(caught, sql, tuple(arguments), None, None)

        await connection.run_sync(handle)
    raise error


async def alone(
    engine: AsyncEngine, tenant_id: uuid.UUID, plan: Compiled, values: Mapping[str, Any]
) -> list[Any] | None:
    """The rows of ``plan``, run in a transaction of its own bound to ``tenant_id``: three round
    trips (``BEGIN`` with the binding's ``SET LOCAL``s in one simple query, the statement,
    ``COMMIT``), where SQLAlchemy's session takes five. For bookkeeping that commits by itself
    (a job's claim, a job's success when its body wrote nothing).

    ``plan`` must come from :func:`compiled` (asyncpg only). The connection is checked out of
    the engine's pool (its checkout and checkin events run) and goes back idle. An error rolls
    back and arrives as SQLAlchemy's ``DBAPIError``; a connection the server dropped is
    invalidated, as SQLAlchemy's own execution does. ``None`` (nothing run) for a connection
    whose transactions this cannot begin (autocommit): SQLAlchemy's path then.
    """
    arguments = _arguments(plan, values)
    sync = engine.sync_engine
    pooled: Any = await greenlet_spawn(sync.raw_connection)
    try:
        adapted = pooled.dbapi_connection
        driver = adapted.driver_connection
        begin = begin_query(adapted, binding_statements(tenant_id))
        if begin is None:
            return None
        if sync._has_events:
            sync.dispatch.before_cursor_execute(None, None, plan.sql, arguments, None, False)
        try:
            async with adapted._execute_mutex:
                if plan.processed is None:
                    await _learn_columns(driver, plan)
                await driver.execute(begin)
                try:
                    records = await driver.fetch(plan.sql, *arguments)
                    await driver.execute("COMMIT")
                except BaseException:
                    if not driver.is_closed():
                        await driver.execute("ROLLBACK")
                    raise
        except Exception as error:
            _raise_dbapi_error(pooled, adapted, error, plan.sql, arguments)
    finally:
        await greenlet_spawn(pooled.close)
    return _rows(plan, records)


def _raise_dbapi_error(
    pooled: Any, adapted: Any, error: Exception, sql: str, arguments: list[Any]
) -> NoReturn:
    """``error`` as SQLAlchemy's ``DBAPIError`` (its connection invalidated if it is gone)."""
    dialect = pooled._pool._dialect
    try:
        adapted._handle_exception(error)
    except Exception as translated:
        gone = dialect.is_disconnect(translated, adapted, None)
        if gone:
            pooled.invalidate(translated)
        raise DBAPIError.instance(
            sql,
            tuple(arguments),
            translated,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        ) from error
    raise error
