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

T = TypeVar("T")


@strawberry.interface(description="An object with a global ID (Relay).")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, id_: uuid.UUID) -> strawberry.ID:
    raw = f"{type_name}:{id_}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def _bad_id(field: str | None) -> BadUserInput:
    return BadUserInput(msg("Malformed ID.", "ID mal formado."), field=field)


def from_global_id(value: str, *, field: str | None = None) -> tuple[str, uuid.UUID]:
    try:
        padded = value + "=" * (-len(value) % 4)
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        return type_name, uuid.UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _bad_id(field) from None


def decode_id(value: str, expected: str, *, field: str) -> uuid.UUID:
    """The UUID of a global ID that must name an object of type ``expected``."""
    type_name, id_ = from_global_id(value, field=field)
    if type_name != expected:
        raise BadUserInput(
            msg(f"Expected the ID of a {expected}.", f"Se esperaba el ID de un {expected}."),
            field=field,
        )
    return id_


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
        raise BadUserInput(msg("Malformed cursor.", "Cursor mal formado."), field="after") from None


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """A page of a list. ``first`` is capped at 100; pass ``pageInfo.endCursor`` as ``after``."""

    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list has (one batched query).")
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]
