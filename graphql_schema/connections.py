"""Building a connection from a batched page load."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select

from graphql_schema.context import Info
from graphql_schema.pagination import PageSpec, page_args
from graphql_schema.relay import Connection, Edge, PageInfo
from graphql_schema.rows import from_row

T = TypeVar("T")
Filters = tuple[tuple[str, tuple[Any, ...]], ...]


async def connection(
    info: Info,
    spec: PageSpec,
    node_type: type[T],
    parent_id: uuid.UUID | None,
    first: int | None,
    after: str | None,
    filters: Filters = (),
    *,
    count: Callable[[], Awaitable[int]] | None = None,
) -> Connection[T]:
    context = info.context
    args = page_args(spec, first, after, filters, max_page=context.settings.max_page_size)
    page = await context.loaders.page(spec).load((parent_id, args))
    edges = [
        Edge(cursor=cursor, node=from_row(node_type, row))
        for row, cursor in zip(page.rows, page.cursors, strict=True)
    ]

    async def batched_count() -> int:
        return int(await info.context.loaders.count(spec).load((parent_id, filters)))

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        count=count or batched_count,
    )


async def every_row(info: Info, model: Any, node_type: type[T]) -> list[T]:
    """All of the bound municipality's rows of a small table (its settings-like lists: trusted
    providers, webhooks), oldest first, without paging."""
    context = info.context
    context.tenant()
    async with context.db_lock:
        rows = await context.session.execute(select(model).order_by(model.created_at, model.id))
    return [from_row(node_type, row) for row in rows.scalars()]
