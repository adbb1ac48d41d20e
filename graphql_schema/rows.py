"""Building strawberry objects from ORM rows: plain fields are copied, the row is kept."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from graphql_schema.relay import to_global_id

T = TypeVar("T")


@cache
def _plain_fields(cls: Any) -> tuple[str, ...]:
    definition = cls.__strawberry_definition__
    return tuple(
        f.python_name
        for f in definition.fields
        if f.base_resolver is None and f.python_name not in ("id", "row")
    )


def type_name(cls: Any) -> str:
    return cls.__strawberry_definition__.name


def from_row(cls: type[T], row: Any) -> T:
    kwargs = {name: getattr(row, name) for name in _plain_fields(cls)}  # type: ignore[arg-type]
    return cls(row=row, id=to_global_id(type_name(cls), row.id), **kwargs)  # type: ignore[call-arg]


def from_rows(cls: type[T], rows: list[Any]) -> list[T]:
    return [from_row(cls, row) for row in rows]
