"""Objects built from rows (``graphql_schema/rows.py``): the hot path that skips a type's
``__init__`` builds exactly what ``__init__`` would, with its global ID encoded when first read."""

from __future__ import annotations

import dataclasses
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from graphql_schema import rows
from graphql_schema.relay import from_global_id, to_global_id
from graphql_schema.schema import build_schema
from plugins.manager import make_plugin_manager


def _row_types() -> list[type[Any]]:
    """Every object type of the schema that keeps its row (those ``from_row`` builds)."""
    schema = build_schema(make_plugin_manager(entrypoints=False))
    found = []
    for definition in schema.schema_converter.type_map.values():
        cls = getattr(definition.definition, "origin", None)
        if (
            isinstance(cls, type)
            and dataclasses.is_dataclass(cls)
            and {"row", "id"} <= {f.name for f in dataclasses.fields(cls)}
        ):
            found.append(cls)
    return sorted(found, key=lambda cls: cls.__name__)


ROW_TYPES = _row_types()


def test_the_portal_types_skip_init() -> None:
    from graphql_schema.commitments.types import Commitment
    from graphql_schema.milestones.types import Milestone, ProgressReport
    from graphql_schema.plans.types import ActionPlan

    assert {ActionPlan, Commitment, Milestone, ProgressReport} <= set(ROW_TYPES)
    for cls in (ActionPlan, Commitment, Milestone, ProgressReport):
        assert rows._reader(cls)[3], f"{cls.__name__} is built through __init__"


@pytest.mark.parametrize("cls", ROW_TYPES, ids=lambda cls: cls.__name__)
def test_from_row_builds_what_init_builds(cls: type[Any]) -> None:
    names = rows._plain_fields(cls)
    row = SimpleNamespace(id=uuid.uuid4(), **{name: f"value of {name}" for name in names})
    built = rows.from_row(cls, row)
    values = {name: getattr(row, name) for name in names}
    expected = cls(row=row, id=to_global_id(rows.type_name(cls), row.id), **values)
    assert type(built) is cls
    assert from_global_id(built.id) == (rows.type_name(cls), row.id)
    assert vars(built) == vars(expected)
    assert built == expected


@pytest.mark.parametrize("keys", [[(1,), (2,)], []])
def test_a_page_is_what_its_constructors_build(keys: list[tuple[int]]) -> None:
    """``page_of`` skips the dataclass ``__init__``s of a connection and its page info."""
    from graphql_schema.relay import Connection, PageInfo, page_of

    def count() -> int:
        return 3

    items = [f"node {key}" for key in keys]
    built = page_of(items, keys, True, False, count)
    expected = Connection(
        items=items,
        keys=keys,
        page_info=PageInfo(
            has_next_page=True,
            has_previous_page=False,
            start_key=keys[0] if keys else None,
            end_key=keys[-1] if keys else None,
        ),
        count=count,
    )
    assert type(built) is type(expected) and type(built.page_info) is PageInfo
    assert vars(built) == vars(expected) and vars(built.page_info) == vars(expected.page_info)
