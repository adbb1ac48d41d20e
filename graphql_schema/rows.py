"""Building strawberry objects from ORM rows: plain fields are copied, the row is kept."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from operator import attrgetter
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


class _GlobalId:
    """The ``id`` of an object built from a row without ``__init__``: its Relay global ID,
    encoded from ``row.id`` when first read (most queries read few of the IDs they could), then
    kept in the object (a non-data descriptor: the object's own ``id`` comes first)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__["id"] = to_global_id(self.type_name, obj.row.id)
        return value


@cache
def _reader(cls: Any) -> tuple[Callable[[Any], Any], tuple[str, ...], str, bool]:
    names = _plain_fields(cls)
    # Only a type whose ``__init__`` sets nothing but the row's fields may skip it (a resolver's
    # field is not set by ``__init__``), and only one whose class does not define ``id``
    # itself gets the lazy ``id``.
    set_by_init = {
        f.name
        for f in dataclasses.fields(cls)
        if f.init
        or f.default is not dataclasses.MISSING
        or f.default_factory is not dataclasses.MISSING
    }
    direct = (
        not hasattr(cls, "__post_init__")
        and set_by_init <= {*names, "row", "id"}
        and all("id" not in vars(base) for base in cls.__mro__)
    )
    if direct:
        cls.id = _GlobalId(type_name(cls))
    return _read_all(names), names, type_name(cls), direct


def _read_all(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of ``names`` of a row, as one tuple (``attrgetter``: one call, in C)."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        name = names[0]
        return lambda row: (getattr(row, name),)
    return attrgetter(*names)


def from_row(cls: type[T], row: Any) -> T:
    """The strawberry object of a row: its plain fields read from the row, the row kept. Built
    without the dataclass ``__init__`` where nothing else is set (a hot path: see ``_maker``)."""
    make = _MAKERS.get(cls)
    if make is None:
        make = _MAKERS[cls] = _maker(cls)
    return make(row)


#: per strawberry type: the function that builds one from a row
_MAKERS: dict[type, Callable[[Any], Any]] = {}


def _maker(cls: Any) -> Callable[[Any], Any]:
    read, names, name, direct = _reader(cls)
    if not direct:

        def make(row: Any) -> Any:
            kwargs = dict(zip(names, read(row), strict=True))
            return cls(row=row, id=to_global_id(name, row.id), **kwargs)

        return make
    # The object's attributes as one dict display: each a plain attribute read of the row
    # (field names are Python identifiers), ``id`` read from the row when asked (``_GlobalId``).
    items = "".join(f"{key!r}: row.{key}, " for key in names)
    source = (
        "def make(row):\n"
        "    obj = new(cls)\n"
        f"    obj.__dict__ = {{{items}'row': row}}\n"
        "    return obj\n"
    )
    env: dict[str, Any] = {"new": object.__new__, "cls": cls}
    exec(compile(source, f"<usina from_row {name}>", "exec"), env)  # the fields' own names
    return env["make"]


def from_rows(cls: type[T], rows: list[Any]) -> list[T]:
    return [from_row(cls, row) for row in rows]
