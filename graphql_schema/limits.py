"""Operation limits, checked after validation and before any resolver runs (the only SQL
before them is authentication's lookup of the municipality the request names).

- depth: nesting of fields (introspection fields excepted, so GraphiQL works; an edge's
  ``node`` does not count, so Relay's ``edges { node }`` is one level like ``nodes`` and a
  query's Relay form has the depth of its ``nodes`` form);
- aliases: how many aliased fields an operation asks for;
- tokens: enforced by the parser (``MaxTokensLimiter``);
- cost, priced like GitHub's API: every connection is assumed to return its full ``first``
  (default 20, at most the deployment's ``max_page_size``, 100 by default);
  ``requestedQueryCost`` is the most nodes the operation can return, and its rate-limit cost is
  the number of connection calls it implies, divided by 100 (at least 1).

An operation over a limit is refused with ``QUERY_TOO_COMPLEX``; the computed cost is returned
in ``extensions.cost`` either way.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from core.i18n import Message, msg
from core.text import problem
from graphql_schema.pagination import DEFAULT_PAGE, MAX_PAGE


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    nodes: int = 0
    calls: int = 0

    @property
    def rate_limit_cost(self) -> int:
        return max(1, math.ceil(self.calls / 100))


def _first(field: FieldNode, variables: dict[str, Any], max_page: int) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value: Any = None
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
        if isinstance(value, int):
            return max(0, min(value, max_page))
    return DEFAULT_PAGE


#: (id(document), id(schema), operation name, max_page) -> (document, schema, its measure),
#: for operations without variables (the parser cache gives the same document for the same text)
_MEASURED: dict[tuple[Any, ...], tuple[DocumentNode, GraphQLSchema, Measure]] = {}
_MEASURED_LIMIT = 256


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    *,
    max_page: int = MAX_PAGE,
) -> Measure:
    """Depth, aliases and cost of the operation; a connection's ``first`` counts as the
    server will serve it (capped at ``max_page``, the deployment's ``max_page_size``).
    Measured once per document when no variable can change it."""
    if variables:
        return _measure(schema, document, operation_name, variables, max_page)
    key = (id(document), id(schema), operation_name, max_page)
    known = _MEASURED.get(key)
    if known is None or known[0] is not document or known[1] is not schema:
        if len(_MEASURED) >= _MEASURED_LIMIT:
            _MEASURED.clear()
        found = _measure(schema, document, operation_name, None, max_page)
        known = _MEASURED[key] = (document, schema, found)
    return replace(known[2])  # each request its own


def _measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    max_page: int,
) -> Measure:
    out = Measure()
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return out
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    _Walk(schema, fragments, variables or {}, max_page, out).walk(
        operation.selection_set, root, 1, 1, frozenset()
    )
    return out


@dataclass
class _Walk:
    """``measure``'s recursion (a method: a nested function would refer to itself through its
    closure, a cycle left to the cyclic GC on every request)."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    max_page: int
    out: Measure

    def walk(
        self,
        selections: SelectionSetNode,
        parent: GraphQLNamedType | None,
        depth: int,
        multiplier: int,
        seen: frozenset[str],
    ) -> None:
        out = self.out
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                if selection.alias is not None:
                    out.aliases += 1
                out.depth = max(out.depth, depth)
                # Relay's ``edges { node }`` is one level, as ``nodes`` is: an edge's ``node``
                # adds no depth (the node count still prices every node).
                plumbing = name == "node" and getattr(parent, "name", "").endswith("Edge")
                fields = getattr(parent, "fields", None) or {}
                definition = fields.get(name)
                child_type = get_named_type(definition.type) if definition else None
                child_multiplier = multiplier
                if isinstance(child_type, GraphQLObjectType) and child_type.name.endswith(
                    "Connection"
                ):
                    first = _first(selection, self.variables, self.max_page)
                    out.calls += multiplier
                    out.nodes += multiplier * first
                    child_multiplier = multiplier * max(first, 1)
                if selection.selection_set is not None:
                    child_depth = depth if plumbing else depth + 1
                    self.walk(
                        selection.selection_set, child_type, child_depth, child_multiplier, seen
                    )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, target, depth, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                self.walk(fragment.selection_set, target, depth, multiplier, seen | {name})


def _limit_message(limit: str, value: int, maximum: int) -> Message:
    """What is over which limit, with the same numbers in the three languages."""
    n, m = value, maximum
    texts = {
        "depth": (
            f"The operation's depth is {n}, over the maximum of {m}.",
            f"La profundidad de la operación es {n}, más que el máximo de {m}.",
            f"A profundidade da operação é {n}, mais que o máximo de {m}.",
        ),
        "aliases": (
            f"The operation has {n} aliases, over the maximum of {m}.",
            f"La operación tiene {n} alias, más que el máximo de {m}.",
            f"A operação tem {n} aliases, mais que o máximo de {m}.",
        ),
        "cost": (
            f"The operation can return {n} nodes, over the maximum of {m}.",
            f"La operación puede devolver {n} nodos, más que el máximo de {m}.",
            f"A operação pode devolver {n} nós, mais que o máximo de {m}.",
        ),
        "fields": (
            f"The document has {n} fields once its fragments are expanded, over the maximum "
            f"of {m}.",
            f"El documento tiene {n} campos con sus fragmentos expandidos, más que el máximo "
            f"de {m}.",
            f"O documento tem {n} campos com os seus fragmentos expandidos, mais que o máximo "
            f"de {m}.",
        ),
        "width": (
            f"A selection of the document asks for one field {n} times once its fragments are "
            f"expanded, over the maximum of {m}.",
            f"Una selección del documento pide un mismo campo {n} veces con sus fragmentos "
            f"expandidos, más que el máximo de {m}.",
            f"Uma seleção do documento pede um mesmo campo {n} vezes com os seus fragmentos "
            f"expandidos, mais que o máximo de {m}.",
        ),
    }
    en, es, pt = texts.get(
        limit,
        (
            f"The operation's {limit} is {n}, over the maximum of {m}.",
            f"El límite '{limit}' de la operación es {n}, más que el máximo de {m}.",
            f"O limite '{limit}' da operação é {n}, mais que o máximo de {m}.",
        ),
    )
    return msg(en, es, pt)


def too_complex(limit: str, value: int, maximum: int) -> GraphQLError:
    texts = _limit_message(limit, value, maximum)
    return GraphQLError(
        texts.en,
        extensions={
            "code": "QUERY_TOO_COMPLEX",
            "limit": limit,
            "value": value,
            "maximum": maximum,
            "message": texts.as_dict(),
        },
    )


class QueryLimits(SchemaExtension):
    """Refuses an operation over a limit before execution; reports its cost."""

    measured: Measure | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        context: Any = self.execution_context.context
        settings = context.settings
        document = self.execution_context.graphql_document
        if document is not None and self.execution_context.result is None:
            found = measure(
                self.execution_context.schema._schema,
                document,
                self.execution_context.operation_name,
                self.execution_context.variables,
                max_page=settings.max_page_size,
            )
            self.measured = found
            context.query_cost = found
            for limit, value, maximum in (
                ("depth", found.depth, settings.max_query_depth),
                ("aliases", found.aliases, settings.max_query_aliases),
                ("cost", found.nodes, settings.max_query_cost),
            ):
                if value > maximum:
                    self.execution_context.result = ExecutionResult(
                        data=None, errors=[too_complex(limit, value, maximum)]
                    )
                    break
        yield

    def get_results(self) -> dict[str, Any]:
        if self.measured is None:
            return {}
        context: Any = self.execution_context.context
        cost: dict[str, Any] = {
            "requestedQueryCost": self.measured.nodes,
            "maximumAvailable": context.settings.max_query_cost,
            "rateLimitCost": self.measured.rate_limit_cost,
            "depth": self.measured.depth,
        }
        cost.update(getattr(context, "rate_limit", None) or {})
        return {"cost": cost}


@dataclass(frozen=True)
class Expansion:
    """What a document weighs once every fragment spread is expanded: its fields and aliases
    (what validation and execution will walk), its width (the most fields of one response
    name that one selection set holds once the spreads in it are expanded: graphql-core's
    overlapping-fields rule compares those pairwise, so its cost grows with the square of the
    width), and the
    first string literal that cannot be stored (``"\\u0000"``), if any."""

    fields: int
    aliases: int
    bad_text: str | None = None
    _tops: dict[str, _Set] = field(default_factory=dict, repr=False)
    _sets: list[_Set] = field(default_factory=list, repr=False)

    @property
    def width(self) -> int:
        """Measured on demand, once the fields and aliases are known to be within their
        limits (a set then holds few distinct names)."""
        names: dict[str, dict[str, int]] = {}
        _names_of(list(self._tops), self._tops, names)
        width = 0
        for level in self._sets:
            merged = dict(level.names)
            for spread in level.spreads:
                for key, count in names.get(spread, {}).items():
                    merged[key] = merged.get(key, 0) + count
            if merged:
                width = max(width, max(merged.values()))
        return width


def expansion(document: DocumentNode) -> Expansion:
    """Measured before validation, in time linear in the document: each definition's own
    fields and aliases are counted once, and a fragment's expanded weight is its own plus its
    spreads', memoised (a fragment bomb of 20 levels doubling is 20 additions, not 2^20
    fields). Unknown fragments and cycles weigh nothing here; validation refuses them."""
    own: dict[str, tuple[int, int, list[str]]] = {}
    top_names: dict[str, _Set] = {}
    sets: list[_Set] = []
    fields = aliases = 0
    operations: list[str] = []
    bad: str | None = None
    for number, definition in enumerate(document.definitions):
        selection_set = getattr(definition, "selection_set", None)
        if selection_set is None:
            continue
        counter = _Own()
        counter.count(selection_set)
        if isinstance(definition, FragmentDefinitionNode):
            name = definition.name.value
        else:
            name = f" operation {number}"  # a name no fragment can have
            operations.append(name)
        own[name] = (counter.fields, counter.aliases, counter.spreads)
        top_names[name] = counter.sets[0]
        sets.extend(counter.sets)
        bad = bad or counter.bad_text
    weight: dict[str, tuple[int, int]] = {}
    _weigh(operations, own, weight)
    for start in operations:
        fields += weight[start][0]
        aliases += weight[start][1]
    return Expansion(fields, aliases, bad, top_names, sets)


def _post_order(
    start: str,
    spreads: dict[str, list[str]],
    done: dict[str, Any],
    finish: Callable[[str], None],
) -> None:
    """``finish`` every fragment reachable from ``start`` after the fragments it spreads
    (those in ``done`` are finished already), without recursion: a chain of fragments may be
    thousands long. A fragment met again while open is a cycle: it is not entered twice, and
    weighs nothing where it closes the cycle (validation refuses the document)."""
    open_: set[str] = set()
    stack: list[tuple[str, bool]] = [(start, False)]
    while stack:
        name, closing = stack.pop()
        if closing:
            finish(name)
            open_.discard(name)
            continue
        if name in done or name in open_ or name not in spreads:
            continue
        open_.add(name)
        stack.append((name, True))
        stack.extend((s, False) for s in spreads[name] if s not in done and s not in open_)


def _weigh(
    starts: list[str],
    own: dict[str, tuple[int, int, list[str]]],
    weight: dict[str, tuple[int, int]],
) -> None:
    """Each fragment's (or operation's) expanded fields and aliases: its own plus its
    spreads'."""

    def finish(name: str) -> None:
        fields, aliases, spreads = own[name]
        for spread in spreads:
            more_fields, more_aliases = weight.get(spread, (0, 0))
            fields, aliases = fields + more_fields, aliases + more_aliases
        weight[name] = (fields, aliases)

    spreads = {name: entry[2] for name, entry in own.items()}
    for start in starts:
        _post_order(start, spreads, weight, finish)


def _names_of(starts: list[str], sets: dict[str, _Set], names: dict[str, dict[str, int]]) -> None:
    """The response names of each fragment's top level, its spreads' included."""

    def finish(name: str) -> None:
        merged = dict(sets[name].names)
        for spread in sets[name].spreads:
            for key, count in names.get(spread, {}).items():
                merged[key] = merged.get(key, 0) + count
        names[name] = merged

    spreads = {name: entry.spreads for name, entry in sets.items()}
    for start in starts:
        _post_order(start, spreads, names, finish)


@dataclass
class _Set:
    """One field's selection set (inline fragments merged in, as validation merges them):
    how many fields of each response name it holds, and the fragments spread in it."""

    names: dict[str, int] = field(default_factory=dict)
    spreads: list[str] = field(default_factory=list)


class _Own:
    """One definition's own fields, aliases and spreads (not through the spreads), and the
    same for each of its selection sets (the first is the definition's own)."""

    def __init__(self) -> None:
        self.fields = 0
        self.aliases = 0
        self.spreads: list[str] = []
        self.sets: list[_Set] = []
        self.bad_text: str | None = None

    def count(self, selection_set: SelectionSetNode) -> None:
        first = _Set()
        self.sets.append(first)
        stack = [(selection_set, first)]
        while stack:
            node, level = stack.pop()
            for selection in node.selections:
                if isinstance(selection, FragmentSpreadNode):
                    self.spreads.append(selection.name.value)
                    level.spreads.append(selection.name.value)
                    continue
                if isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, level))
                    continue
                if isinstance(selection, FieldNode):
                    self.fields += 1
                    key = (selection.alias or selection.name).value
                    level.names[key] = level.names.get(key, 0) + 1
                    if selection.alias is not None:
                        self.aliases += 1
                    if self.bad_text is None and selection.arguments:
                        self._check(selection.arguments)
                    if selection.selection_set is not None:
                        inner = _Set()
                        self.sets.append(inner)
                        stack.append((selection.selection_set, inner))

    def _check(self, arguments: Any) -> None:
        from graphql import ListValueNode, ObjectValueNode, StringValueNode

        values = [argument.value for argument in arguments]
        while values and self.bad_text is None:
            value = values.pop()
            if isinstance(value, StringValueNode):
                if problem(value.value) is not None:
                    self.bad_text = value.value
            elif isinstance(value, ListValueNode):
                values.extend(value.values)
            elif isinstance(value, ObjectValueNode):
                values.extend(f.value for f in value.fields)
