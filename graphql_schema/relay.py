"""Relay conventions: the Node interface, global IDs, cursors and connections."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import strawberry

from core.errors import BadUserInput
from core.i18n import msg
from core.ids import decode_id, from_global_id, to_global_id

__all__ = ["Connection", "Edge", "Node", "PageInfo", "decode_id", "from_global_id", "to_global_id"]

T = TypeVar("T")


@strawberry.interface(description="An object with a global ID (Relay).")
class Node:
    id: strawberry.ID


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, date, datetime)):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return getattr(value, "value", value)


def encode_cursor(values: tuple[Any, ...]) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """Cursor values converted to the ordering columns' Python types."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError
        out: list[Any] = []
        for value, kind in zip(raw, types, strict=True):
            if kind is uuid.UUID:
                out.append(uuid.UUID(value))
            elif kind is datetime:
                out.append(datetime.fromisoformat(value))
            elif kind is date:
                out.append(date.fromisoformat(value))
            else:
                out.append(kind(value))
        return tuple(out)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise BadUserInput(
            msg("Malformed cursor.", "Cursor mal formado.", "Cursor malformado."), field="after"
        ) from None


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    #: The first and last edges' ordering values: their cursors are encoded only when asked for.
    start_key: strawberry.Private[tuple[Any, ...] | None] = None
    end_key: strawberry.Private[tuple[Any, ...] | None] = None

    @strawberry.field
    def start_cursor(self) -> str | None:
        return None if self.start_key is None else encode_cursor(self.start_key)

    @strawberry.field
    def end_cursor(self) -> str | None:
        return None if self.end_key is None else encode_cursor(self.end_key)


def _edge_cursor(root: Any) -> str:
    return encode_cursor(root.key)


@strawberry.type
class Edge(Generic[T]):
    #: Encoded only when asked for: most clients never read an edge's cursor.
    cursor: str = strawberry.field(resolver=_edge_cursor)
    node: T
    #: The node's ordering values, which its cursor encodes.
    key: strawberry.Private[tuple[Any, ...]]


def _edges(root: Any):  # type: ignore[no-untyped-def]  # its type is the field's: list[Edge[T]]
    return [_edge(node, key) for node, key in zip(root.items, root.keys, strict=True)]


@strawberry.type
class Connection(Generic[T]):
    """A page of a list. ``first`` is capped at the deployment's page size (100 by default);
    pass ``pageInfo.endCursor`` as ``after``."""

    #: Built only when asked for (``_edges``): a portal reads ``nodes``, and an ``Edge`` per
    #: node was a tenth of the portal query's objects.
    edges: list[Edge[T]] = strawberry.field(resolver=_edges)
    page_info: PageInfo
    #: The count, or an awaitable of it (graphql-core awaits what this resolver returns).
    count: strawberry.Private[Callable[[], Awaitable[int] | int]]
    #: The page's nodes and their ordering values (each edge's key).
    items: strawberry.Private[list[T]]
    keys: strawberry.Private[list[tuple[Any, ...]]]

    @strawberry.field(description="How many items the whole list has (one batched query).")
    def total_count(self) -> int:
        return self.count()  # type: ignore[return-value]

    @strawberry.field
    def nodes(self) -> list[T]:
        return self.items


def page_of(
    items: list[Any],
    keys: list[tuple[Any, ...]],
    has_next: bool,
    has_previous: bool,
    count: Callable[[], Awaitable[int] | int],
) -> Connection[Any]:
    """``Connection(items=..., keys=..., page_info=PageInfo(...), count=...)``, without the
    dataclass ``__init__``s (a connection per parent row: 61 in the portal query)."""
    page_info: Any = object.__new__(PageInfo)
    page_info.__dict__ = {
        "has_next_page": has_next,
        "has_previous_page": has_previous,
        "start_key": keys[0] if keys else None,
        "end_key": keys[-1] if keys else None,
    }
    connection: Any = object.__new__(Connection)
    connection.__dict__ = {"page_info": page_info, "count": count, "items": items, "keys": keys}
    return connection


def _edge(node: Any, key: tuple[Any, ...]) -> Edge[Any]:
    """``Edge(node=node, key=key)``, without the dataclass ``__init__``."""
    edge: Any = object.__new__(Edge)
    edge.__dict__.update(node=node, key=key)
    return edge
