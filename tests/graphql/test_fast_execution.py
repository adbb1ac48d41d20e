"""The fast executor (``graphql_schema/execution.py``) answers exactly what graphql-core
answers: the same data, the same errors at the same paths, the same null propagation, for
values its shortcuts take and for every value they must leave to graphql-core."""

from __future__ import annotations

import datetime
import enum
import math
from typing import Any

import pytest
import strawberry

from graphql_schema.execution import FastExecutor


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Other(enum.Enum):
    RED = "red"


class Text(str):
    """A subclass of ``str``: not the exact type the shortcut passes through."""


@strawberry.type
class Leaf:
    value: strawberry.Private[Any]

    @strawberry.field
    def text(self) -> str:
        return self.value

    @strawberry.field
    def maybe_text(self) -> str | None:
        return self.value

    @strawberry.field
    def number(self) -> int:
        return self.value

    @strawberry.field
    def decimal(self) -> float:
        return self.value

    @strawberry.field
    def flag(self) -> bool:
        return self.value

    @strawberry.field
    def ident(self) -> strawberry.ID:
        return self.value

    @strawberry.field
    def colour(self) -> Colour:
        return self.value

    @strawberry.field
    def colours(self) -> list[Colour]:
        return self.value

    @strawberry.field
    def texts(self) -> list[str]:
        return self.value

    @strawberry.field
    def colour_with_info(self, info: strawberry.Info) -> Colour:
        return self.value

    @strawberry.field
    def decimal_with_info(self, info: strawberry.Info) -> float | None:
        return self.value


@strawberry.type
class Row:
    """Fields without resolvers (read as attributes), holding whatever they are given."""

    text: str
    maybe_text: str | None
    number: int
    decimal: float | None
    colour: Colour
    colours: list[Colour] | None
    day: datetime.date | None = None  # a scalar of strawberry's own (Date)


@strawberry.type
class Holder:
    name: str
    leaves: list[Leaf]
    maybe_leaves: list[Leaf | None] | None
    rows: list[Row | None]


VALUES: list[Any] = [
    "a",
    Text("sub"),
    "",
    0,
    1,
    -(2**31),
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    1.5,
    2.0,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    None,
    Colour.RED,
    Colour.GREEN,
    Other.RED,
    "red",
    "RED",
    [Colour.RED, Colour.GREEN],
    [Colour.RED, None],
    [Colour.RED, "green"],
    ["a", "b"],
    ["a", 1],
    ["a", None],
    (Colour.GREEN,),
    {"a": 1},
    object(),
    datetime.date(2026, 12, 4),
    datetime.datetime(2026, 12, 4, 10, 30),
]

LEAF_FIELDS = (
    "text maybeText number decimal flag ident colour colours texts colourWithInfo decimalWithInfo"
)


@strawberry.type
class Picker:
    @strawberry.field
    def picked(
        self,
        info: strawberry.Info,
        colour: Colour | None = None,
        colours: list[Colour] | None = None,
        word: strawberry.ID | None = None,
    ) -> str:
        if colours is not None:
            colours.append(Colour.GREEN)  # the resolver's own copy: nothing leaks
        return repr((colour, colours, word))


def _schemas(parsed_once: bool = False) -> tuple[strawberry.Schema, strawberry.Schema]:
    """The fast executor and graphql-core's; ``parsed_once``: both with a parser cache (one
    document per text, as the API serves them)."""
    from strawberry.extensions import ParserCache

    @strawberry.type
    class Query:
        @strawberry.field
        def holder(self) -> Holder:
            return Holder(
                name="h",
                leaves=[Leaf(value=v) for v in VALUES],
                maybe_leaves=[Leaf(value=v) for v in VALUES] + [None],
                rows=[
                    Row(text=v, maybe_text=v, number=v, decimal=v, colour=v, colours=v, day=v)
                    for v in VALUES
                ],
            )

        @strawberry.field
        def pickers(self) -> list[Picker]:
            return [Picker(), Picker()]

    extensions: list[Any] = [lambda: ParserCache(maxsize=8)] if parsed_once else []
    return (
        strawberry.Schema(query=Query, execution_context_class=FastExecutor, extensions=extensions),
        strawberry.Schema(query=Query, extensions=extensions),
    )


def _answer(schema: strawberry.Schema, query: str) -> tuple[Any, Any]:
    result = schema.execute_sync(query)
    errors = sorted((str(error.message), tuple(error.path or ())) for error in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize("field", LEAF_FIELDS.split())
def test_each_leaf_field_answers_as_graphql_core_does_for_every_value(field: str) -> None:
    fast, reference = _schemas()
    query = f"{{ holder {{ name maybeLeaves {{ {field} }} }} }}"
    expected = _answer(reference, query)
    assert _answer(fast, query) == expected
    assert expected[1], "some values must be refused, or the comparison proves little"


@pytest.mark.parametrize(
    "field", ["text", "maybeText", "number", "decimal", "colour", "colours", "day"]
)
def test_each_attribute_field_answers_as_graphql_core_does_for_every_value(field: str) -> None:
    fast, reference = _schemas()
    query = f"{{ holder {{ rows {{ {field} }} }} }}"
    expected = _answer(reference, query)
    assert _answer(fast, query) == expected
    assert expected[1]


def test_a_null_in_a_non_null_leaf_propagates_as_graphql_core_does() -> None:
    fast, reference = _schemas()
    query = f"{{ holder {{ name leaves {{ {LEAF_FIELDS} }} }} }}"
    expected = _answer(reference, query)
    assert expected[0] is None  # the refused values null the whole answer
    assert _answer(fast, query) == expected


def test_values_the_shortcuts_pass_through_are_what_graphql_core_gives() -> None:
    fast, _ = _schemas()

    def value_of(field: str, value: Any) -> Any:
        data, _ = _answer(fast, f"{{ holder {{ maybeLeaves {{ {field} }} }} }}")
        leaf = data["holder"]["maybeLeaves"][VALUES.index(value)]
        return None if leaf is None else leaf[field]

    assert value_of("colour", Colour.GREEN) == "GREEN"
    assert value_of("colourWithInfo", Colour.RED) == "RED"
    assert value_of("colours", [Colour.RED, Colour.GREEN]) == ["RED", "GREEN"]
    assert value_of("number", 2**31 - 1) == 2**31 - 1
    assert value_of("number", 2**31) is None  # out of Int's range: refused
    assert value_of("decimal", 1.5) == 1.5
    assert value_of("decimal", math.inf) is None  # not finite: refused
    assert value_of("decimalWithInfo", 1) == 1.0
    assert value_of("text", Text("sub")) == "sub"
    assert value_of("ident", "a") == "a"
    assert value_of("flag", False) is False


@strawberry.type
class Described:
    """An ``info`` resolver that reports what its ``Info`` says."""

    @strawberry.field
    def about(self, info: strawberry.Info, word: str = "w") -> str:
        return repr(
            (
                info.context,
                info.field_name,
                info.python_name,
                info.path.as_list(),
                info.variable_values,
                [field.name for field in info.selected_fields],
                info.operation.name.value if info.operation.name else None,
                word,
            )
        )

    @strawberry.field
    def context_only(self, info: strawberry.Info) -> str:
        return repr(info.context)


def test_an_info_resolver_sees_what_graphql_core_would_give_it() -> None:
    """The fast path builds graphql-core's resolve info only when the resolver reads more than
    ``info.context``; whatever it reads is what graphql-core's path gives."""

    @strawberry.type
    class Query:
        @strawberry.field
        def described(self) -> list[Described]:
            return [Described(), Described()]

    fast = strawberry.Schema(query=Query, execution_context_class=FastExecutor)
    reference = strawberry.Schema(query=Query)
    query = "query Q($w: String!) { described { contextOnly about(word: $w) again: about } }"
    context = {"who": "me"}

    def run(schema: strawberry.Schema) -> Any:
        result = schema.execute_sync(query, variable_values={"w": "x"}, context_value=context)
        assert not result.errors, result.errors
        return result.data

    answer = run(fast)
    assert answer == run(reference)
    assert "['described', 1, 'again']" in answer["described"][1]["again"]


def test_a_static_document_is_collected_once_for_all_its_executions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fields collected (and planned) by the first execution of a document without directives
    serve every later one: graphql-core's collection is not run again."""
    import graphql_schema.execution as execution

    calls: list[Any] = []
    collect = execution.collect_subfields

    def counted(*args: Any) -> Any:
        calls.append(args[4])
        return collect(*args)

    monkeypatch.setattr(execution, "collect_subfields", counted)
    fast, reference = _schemas(parsed_once=True)
    query = "{ holder { name leaves { text } rows { text number decimal colour } } }"
    first = _answer(fast, query)
    assert first == _answer(reference, query)
    assert calls, "the first execution collects"
    collected = len(calls)
    for _ in range(3):
        assert _answer(fast, query) == first
    assert len(calls) == collected


@pytest.mark.parametrize("wanted", [True, False])
def test_a_document_with_directives_is_collected_by_each_execution(wanted: bool) -> None:
    """``@include``/``@skip`` make the fields depend on the variables: the same document (the
    parser cache's) answers each execution by its own variables."""
    fast, reference = _schemas(parsed_once=True)
    query = (
        "query Q($x: Boolean!) { holder { name leaves @include(if: $x) { text } "
        "rows { text @skip(if: $x) number } } }"
    )
    for variables in ({"x": wanted}, {"x": not wanted}, {"x": wanted}):
        got = fast.execute_sync(query, variable_values=variables)
        expected = reference.execute_sync(query, variable_values=variables)
        assert got.data == expected.data and got.errors == expected.errors
        if variables["x"]:  # the leaves' refused values null the whole answer
            assert got.data is None
        else:
            assert "leaves" not in got.data["holder"]
            assert any(row and "text" in row for row in got.data["holder"]["rows"])


def test_enum_and_list_arguments_reach_the_resolver_as_strawberry_gives_them() -> None:
    """A resolver with enum, list and ID arguments is called directly, with what strawberry's
    conversion would give it: enum members, and a list of its own (its change does not leak)."""
    fast, reference = _schemas(parsed_once=True)
    query = (
        'query Q($c: [Colour!]) { pickers { a: picked(colour: RED, colours: $c, word: "w") '
        "b: picked(colours: [GREEN]) c: picked } }"
    )
    for _ in range(2):
        got = fast.execute_sync(query, variable_values={"c": ["RED"]})
        expected = reference.execute_sync(query, variable_values={"c": ["RED"]})
        assert not got.errors and got.data == expected.data
    picker = got.data["pickers"][1]
    assert picker["a"] == repr((Colour.RED, [Colour.RED, Colour.GREEN], "w"))
    assert picker["b"] == repr((None, [Colour.GREEN, Colour.GREEN], None))
    assert picker["c"] == repr((None, None, None))


def test_an_object_of_the_wrong_type_is_refused_as_graphql_core_refuses_it() -> None:
    """A list or a field of objects holding an object of another type: graphql-core's error at
    that item's path (strawberry's ``is_type_of``), before and after the right type is seen."""

    @strawberry.type
    class Query:
        @strawberry.field
        def mixed(self) -> list[Leaf | None]:
            row = Row(
                text="t", maybe_text=None, number=1, decimal=None, colour=Colour.RED, colours=[]
            )
            return [Leaf(value="a"), row, Leaf(value="b")]  # type: ignore[list-item]

        @strawberry.field
        def right(self) -> list[Leaf]:
            return [Leaf(value="c")]

        @strawberry.field
        def wrong(self) -> Leaf | None:
            return Row(
                text="t", maybe_text=None, number=1, decimal=None, colour=Colour.RED, colours=[]
            )  # type: ignore[return-value]

    fast = strawberry.Schema(query=Query, execution_context_class=FastExecutor)
    reference = strawberry.Schema(query=Query)
    for query in ("{ mixed { text } }", "{ right { text } mixed { text } wrong { text } }"):
        expected = _answer(reference, query)
        assert expected[1], "the wrong object must be refused"
        assert _answer(fast, query) == expected
