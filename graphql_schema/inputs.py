"""Helpers for mutation inputs: which fields were given, and global IDs to UUIDs."""

from __future__ import annotations

from typing import Any

import strawberry

from graphql_schema.relay import decode_id


@strawberry.input(description="The object a mutation acts on, by its global ID.")
class IdInput:
    id: strawberry.ID


def provided(data: Any, *, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """The fields of an update input the caller actually sent (``UNSET`` ones left out)."""
    out: dict[str, Any] = {}
    for name in data.__strawberry_definition__.fields:
        key = name.python_name
        value = getattr(data, key)
        if key not in skip and value is not strawberry.UNSET:
            out[key] = value
    return out


def optional_id(value: str | None, expected: str, field: str) -> Any:
    return decode_id(value, expected, field=field) if value else None
