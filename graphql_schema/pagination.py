"""Batched cursor pagination of child lists with a window function.

One statement serves every parent in a batch: ``row_number() OVER (PARTITION BY parent ORDER
BY ...)`` keeps each parent's own first page (a loader that applied LIMIT to the whole batch
would return wrong pages). Keyset cursors, so a page never shifts when rows are added.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.errors import BadUserInput
from core.i18n import msg
from graphql_schema.relay import decode_cursor
from tenants import reads

DEFAULT_PAGE = 20
MAX_PAGE = 100


@dataclass(frozen=True, eq=False)
class PageSpec:
    """How one kind of list is ordered and which column names its parent. A module constant,
    compared by identity (it keys the request's loaders and the cached page statements)."""

    model: type[Any]
    #: The column that names the parent; ``None`` for a root list (one page, key ``None``).
    parent: InstrumentedAttribute[Any] | None
    order: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = False

    @property
    def order_types(self) -> tuple[type, ...]:
        return tuple(col.type.python_type for col in self.order)


class PageArgs(NamedTuple):
    """A page's arguments, checked: part of every page loader key (a tuple hashes in C)."""

    first: int
    after: tuple[Any, ...] | None
    #: ((attribute name, (allowed values, ...)), ...)
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = ()


@dataclass
class Page:
    rows: list[Any]
    #: Each row's ordering values, from which its cursor is encoded when asked for.
    keys: list[tuple[Any, ...]]
    has_next: bool
    has_previous: bool
    #: How many rows the list holds in all (its ``totalCount``), when the page was read from
    #: its start: the page statement counts them in the same pass (a window over the parent).
    total: int | None = None


def page_size(first: int | None, max_page: int = MAX_PAGE) -> int:
    """``first`` checked (0 to ``max_page``), or the default page size."""
    if first is None:
        return DEFAULT_PAGE
    if not 0 <= first <= max_page:
        raise BadUserInput(
            msg(
                f"first must be between 0 and {max_page}.",
                f"first debe estar entre 0 y {max_page}.",
                f"first deve estar entre 0 e {max_page}.",
            ),
            field="first",
        )
    return first


def page_args(
    spec: PageSpec,
    first: int | None,
    after: str | None,
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = (),
    *,
    max_page: int = MAX_PAGE,
) -> PageArgs:
    first = page_size(first, max_page)
    decoded = decode_cursor(after, spec.order_types) if after else None
    return PageArgs(first, decoded, filters)


async def load_pages(
    session: AsyncSession, spec: PageSpec, keys: Sequence[tuple[uuid.UUID | None, PageArgs]]
) -> list[Page]:
    """Pages for ``(parent_id, args)`` keys; one statement per distinct ``args``."""
    groups: dict[PageArgs, list[Any]] = defaultdict(list)
    for parent_id, args in keys:
        groups[args].append(parent_id)
    results: dict[tuple[Any, PageArgs], Page] = {}
    for args, parent_ids in groups.items():
        pages = await _load_group(session, spec, args, parent_ids)
        empty_total = 0 if args.after is None and args.first > 0 else None
        for parent_id in parent_ids:
            results[(parent_id, args)] = pages.get(
                parent_id, Page([], [], False, args.after is not None, empty_total)
            )
    return [results[key] for key in keys]


def _column(table: Any, attribute: InstrumentedAttribute[Any]) -> Any:
    return table.c[attribute.property.columns[0].name]


@cache
def page_statement(
    spec: PageSpec, shape: reads.Shape, filters: tuple[str, ...], after: bool
) -> Select[Any]:
    """The page statement of one kind of list, built once per shape: every parent's first
    page in one SELECT (``row_number()`` per parent), the cursor and filters as parameters."""
    table = spec.model.__table__
    order = [_column(table, c) for c in spec.order]
    ranked = [c.desc() if spec.descending else c.asc() for c in order]
    parent = _column(table, spec.parent) if spec.parent is not None else None
    rank = func.row_number().over(partition_by=parent, order_by=ranked).label("_rank")
    total = func.count().over(partition_by=parent).label("_total")
    inner = select(table, rank, total).where(*reads.visible(spec.model, table.c, shape))
    if parent is not None:
        inner = inner.where(parent.in_(bindparam("parents", expanding=True)))
    for name in filters:
        inner = inner.where(_filter(table, name))
    if after:
        position = tuple_(*order)
        cursor = tuple_(*(bindparam(f"after_{i}", type_=c.type) for i, c in enumerate(order)))
        inner = inner.where(position < cursor if spec.descending else position > cursor)
    sub = inner.subquery()
    return select(sub).where(sub.c._rank <= bindparam("limit")).order_by(sub.c._rank)


async def _load_group(
    session: AsyncSession, spec: PageSpec, args: PageArgs, parent_ids: list[Any]
) -> dict[Any, Page]:
    if args.first == 0:
        return {}
    shape = reads.shape_of(reads.binding_of(session))
    statement = page_statement(
        spec, shape, tuple(name for name, _ in args.filters), args.after is not None
    )
    # No row beyond the page: the window's count (over the rows after the cursor, if any)
    # tells whether there is a next page.
    params: dict[str, Any] = {"limit": args.first}
    if spec.parent is not None:
        params["parents"] = list(dict.fromkeys(parent_ids))
    params |= _filter_params(args.filters)
    for i, value in enumerate(args.after or ()):
        params[f"after_{i}"] = value
    parent_key = spec.parent.key if spec.parent is not None else None
    key_of = _key_reader(spec)
    pages: dict[uuid.UUID | None, Page] = {}
    from_start = args.after is None
    for row in await reads.fetch(session, statement, params):
        parent_id = getattr(row, parent_key) if parent_key is not None else None
        page = pages.get(parent_id)
        if page is None:
            page = pages[parent_id] = Page(
                [], [], row._total > args.first, not from_start, row._total if from_start else None
            )
        page.rows.append(row)
        page.keys.append(key_of(row))
    return pages


@cache
def _key_reader(spec: PageSpec) -> Callable[[Any], tuple[Any, ...]]:
    """A row's ordering values, as a tuple (its cursor's contents)."""
    names = [column.key for column in spec.order]
    if len(names) == 1:
        name = names[0]
        return lambda row: (getattr(row, name),)
    return attrgetter(*names)


@cache
def count_statement(spec: PageSpec, shape: reads.Shape, filters: tuple[str, ...]) -> Any:
    assert spec.parent is not None, "root lists count with count_root()"
    table = spec.model.__table__
    parent = _column(table, spec.parent)
    statement = (
        select(parent, func.count())
        .where(*reads.visible(spec.model, table.c, shape))
        .where(parent.in_(bindparam("parents", expanding=True)))
    )
    for name in filters:
        statement = statement.where(_filter(table, name))
    return statement.group_by(parent)


#: A filter named ``<column>__null`` keeps the rows where the column is null (its values are
#: ``(True,)``) or not null (``(False,)``); any other filter keeps the rows whose column holds
#: one of its values.
NULL = "__null"


#: Filters that are not a column's values: name -> the condition, given the table and the bound
#: parameter of the filter's one value (``delayed_on``: the milestones delayed on a date).
PREDICATES: dict[str, Callable[[Any, Any], Any]] = {}


def predicate(name: str) -> Callable[[Callable[[Any, Any], Any]], Callable[[Any, Any], Any]]:
    def register(condition: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        PREDICATES[name] = condition
        return condition

    return register


def _filter(table: Any, name: str) -> Any:
    if name in PREDICATES:
        return PREDICATES[name](table, bindparam(f"filter_{name}"))
    if name.endswith(NULL):
        column = table.c[name.removesuffix(NULL)]
        return (column.is_(None)) == bindparam(f"filter_{name}")
    return table.c[name].in_(bindparam(f"filter_{name}", expanding=True))


def _filter_params(filters: tuple[tuple[str, tuple[Any, ...]], ...]) -> dict[str, Any]:
    return {
        f"filter_{name}": values[0] if name.endswith(NULL) or name in PREDICATES else list(values)
        for name, values in filters
    }


async def load_counts(
    session: AsyncSession,
    spec: PageSpec,
    keys: Sequence[tuple[uuid.UUID | None, tuple[tuple[str, tuple[Any, ...]], ...]]],
) -> list[int]:
    groups: dict[tuple[Any, ...], list[uuid.UUID | None]] = defaultdict(list)
    for parent_id, filters in keys:
        groups[filters].append(parent_id)
    shape = reads.shape_of(reads.binding_of(session))
    counts: dict[tuple[uuid.UUID | None, Any], int] = {}
    for filters, parent_ids in groups.items():
        statement = count_statement(spec, shape, tuple(name for name, _ in filters))
        params: dict[str, Any] = {"parents": list(dict.fromkeys(parent_ids))}
        params |= _filter_params(filters)
        for row in await reads.fetch(session, statement, params):
            counts[(row[0], filters)] = row[1]
    return [counts.get((parent_id, filters), 0) for parent_id, filters in keys]


async def count_root(session: AsyncSession, spec: PageSpec) -> int:
    result = await session.execute(select(func.count()).select_from(spec.model))
    return int(result.scalar_one())
