"""Batched cursor pagination of child lists with a window function.

One statement serves every parent in a batch: ``row_number() OVER (PARTITION BY parent ORDER
BY ...)`` keeps each parent's own first page (a loader that applied LIMIT to the whole batch
would return wrong pages). Keyset cursors, so a page never shifts when rows are added.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from core.errors import BadUserInput
from core.i18n import msg
from graphql_schema.relay import decode_cursor, encode_cursor

DEFAULT_PAGE = 20
MAX_PAGE = 100


@dataclass(frozen=True)
class PageSpec:
    """How one kind of list is ordered and which column names its parent."""

    model: type[Any]
    #: The column that names the parent; ``None`` for a root list (one page, key ``None``).
    parent: InstrumentedAttribute[Any] | None
    order: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = False

    @property
    def order_types(self) -> tuple[type, ...]:
        return tuple(col.type.python_type for col in self.order)


@dataclass(frozen=True)
class PageArgs:
    first: int
    after: tuple[Any, ...] | None
    #: ((attribute name, (allowed values, ...)), ...)
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = ()


@dataclass
class Page:
    rows: list[Any]
    cursors: list[str]
    has_next: bool
    has_previous: bool


def page_args(
    spec: PageSpec,
    first: int | None,
    after: str | None,
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = (),
    *,
    max_page: int = MAX_PAGE,
) -> PageArgs:
    if first is None:
        first = DEFAULT_PAGE
    if not 0 <= first <= max_page:
        raise BadUserInput(
            msg(
                f"first must be between 0 and {max_page}.",
                f"first debe estar entre 0 y {max_page}.",
            ),
            field="first",
        )
    decoded = decode_cursor(after, spec.order_types) if after else None
    return PageArgs(first=first, after=decoded, filters=filters)


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
        for parent_id in parent_ids:
            results[(parent_id, args)] = pages.get(
                parent_id, Page([], [], False, args.after is not None)
            )
    return [results[key] for key in keys]


async def _load_group(
    session: AsyncSession, spec: PageSpec, args: PageArgs, parent_ids: list[Any]
) -> dict[Any, Page]:
    if args.first == 0:
        return {}
    order = [c.desc() if spec.descending else c.asc() for c in spec.order]
    rank = func.row_number().over(partition_by=spec.parent, order_by=order).label("_rank")
    inner = select(spec.model, rank)
    if spec.parent is not None:
        inner = inner.where(spec.parent.in_(set(parent_ids)))
    for name, values in args.filters:
        inner = inner.where(getattr(spec.model, name).in_(values))
    if args.after is not None:
        position = tuple_(*spec.order)
        after = tuple_(*args.after)
        inner = inner.where(position < after if spec.descending else position > after)
    sub = inner.subquery()
    row_alias = aliased(spec.model, sub)
    statement = select(row_alias, sub.c._rank).where(sub.c._rank <= args.first + 1)
    statement = statement.order_by(sub.c._rank)
    pages: dict[uuid.UUID | None, Page] = {}
    for row, rank_value in await session.execute(statement):
        parent_id = getattr(row, spec.parent.key) if spec.parent is not None else None
        page = pages.setdefault(parent_id, Page([], [], False, args.after is not None))
        if rank_value > args.first:
            page.has_next = True
            continue
        page.rows.append(row)
        page.cursors.append(encode_cursor(tuple(getattr(row, c.key) for c in spec.order)))
    return pages


async def load_counts(
    session: AsyncSession,
    spec: PageSpec,
    keys: Sequence[tuple[uuid.UUID | None, tuple[tuple[str, tuple[Any, ...]], ...]]],
) -> list[int]:
    assert spec.parent is not None, "root lists count with count_root()"
    groups: dict[tuple[Any, ...], list[uuid.UUID | None]] = defaultdict(list)
    for parent_id, filters in keys:
        groups[filters].append(parent_id)
    counts: dict[tuple[uuid.UUID | None, Any], int] = {}
    for filters, parent_ids in groups.items():
        statement = (
            select(spec.parent, func.count())
            .where(spec.parent.in_(set(parent_ids)))
            .group_by(spec.parent)
        )
        for name, values in filters:
            statement = statement.where(getattr(spec.model, name).in_(values))
        for parent_id, count in await session.execute(statement):
            counts[(parent_id, filters)] = count
    return [counts.get((parent_id, filters), 0) for parent_id, filters in keys]


async def count_root(session: AsyncSession, spec: PageSpec) -> int:
    result = await session.execute(select(func.count()).select_from(spec.model))
    return int(result.scalar_one())
