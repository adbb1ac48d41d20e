"""Building a connection from a batched page load."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select

from graphql_schema import prefetch
from graphql_schema.context import Info
from graphql_schema.pagination import Page, PageSpec, page_args
from graphql_schema.relay import Connection, page_of
from graphql_schema.rows import from_row, type_name
from tenants import speed

T = TypeVar("T")
Filters = tuple[tuple[str, tuple[Any, ...]], ...]


def nested_connection(
    info: Info,
    spec: PageSpec,
    node_type: type[T],
    parent_id: uuid.UUID,
    first: int | None,
    after: str | None,
) -> Connection[T]:
    """A connection of a node's children: built at once when look-ahead has loaded its page
    (``graphql_schema/prefetch.py``), else the awaitable ``connection`` (graphql-core awaits
    an awaitable that a synchronous resolver returns)."""
    context = info.context
    args = page_args(spec, first, after, max_page=context.settings.max_page_size)
    page = prefetch.ready(context.loaders.page(spec), (parent_id, args))
    if prefetch.is_missing(page):
        return connection(info, spec, node_type, parent_id, first, after)  # type: ignore[return-value]
    return _connection(info, spec, node_type, parent_id, page, ())


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
    if page.rows and speed.FAST.get():  # look-ahead: the speed layer's (USINA_ENGINE=fast)
        op = prefetch.operation_of(info)
        nested = prefetch.connection_nodes(info._raw_info.field_nodes, op)
        if nested:  # its levels' statements in one task (``Context.shielded``)
            await context.shielded(
                lambda: prefetch.prefetch(context, op, type_name(node_type), page.rows, nested)
            )
    return _connection(info, spec, node_type, parent_id, page, filters, count)


def _connection(
    info: Info,
    spec: PageSpec,
    node_type: type[T],
    parent_id: uuid.UUID | None,
    page: Page,
    filters: Filters,
    count: Callable[[], Awaitable[int]] | None = None,
) -> Connection[T]:
    def batched_count() -> Any:
        return prefetch.now_or_later(info.context.loaders.count(spec), (parent_id, filters))

    return page_of(
        [from_row(node_type, row) for row in page.rows],
        page.keys,
        page.has_next,
        page.has_previous,
        count or batched_count,
    )


async def every_row(info: Info, model: Any, node_type: type[T]) -> list[T]:
    """All of the bound municipality's rows of a small table (its settings-like lists: trusted
    providers, webhooks), oldest first, without paging."""
    context = info.context
    context.tenant()
    rows = await context.exclusive(
        lambda: context.session.execute(select(model).order_by(model.created_at, model.id))
    )
    return [from_row(node_type, row) for row in rows.scalars()]
