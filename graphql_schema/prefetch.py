"""Look-ahead: a connection's first page brings the lists and figures its nodes are asked for.

Without it, every nested list is an asynchronous resolver per parent (50 milestones: 50
coroutines, each a task, each waiting for its DataLoader batch). With it, the connection that
resolves asynchronously (the top one, usually) reads the operation's selection below it and
loads each level for all parents at once, through the same loaders (so with the same
statements, keys and batching); nested resolvers then find their data in the loaders' caches
and answer synchronously (``ready``), which keeps graphql-core on its fast path.

Only what the selection names is loaded, with the arguments it gives. Whatever look-ahead
cannot price (an argument it does not know, a variable of another type, a bad value) is left
to the resolver, which loads it the ordinary way and reports its own errors: look-ahead never
changes an answer, only when its rows are read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
)

from core.actors.models import Actor
from core.errors import UsinaError
from graphql_schema.loaders import MISSING as _MISSING
from graphql_schema.pagination import PageArgs, PageSpec, page_args

if TYPE_CHECKING:
    from graphql_schema.context import Context
    from graphql_schema.loaders import Loader, Loaders


def ready(loader: Loader[Any, Any], key: Any) -> Any:
    """The loader's value for ``key`` if it is already loaded, else ``_MISSING``."""
    return loader.ready(key)


async def load_all(loader: Loader[Any, Any], keys: list[Any]) -> list[Any]:
    """The values of ``keys``, loading those not asked for yet in one batch: the loader's own
    batch function, called directly, its results primed (a future per key, gathered, would
    cost more than the statement on a small page)."""
    missing = [key for key in dict.fromkeys(keys) if not loader.asked(key)]
    if missing:
        values = await loader.load_fn(missing)
        loader.prime_many(dict(zip(missing, values, strict=True)))
    out = []
    for key in keys:
        value = loader.ready(key)
        out.append(await loader.load(key) if value is _MISSING else value)
    return out


def now_or_later(loader: Loader[Any, Any], key: Any) -> Any:
    """The loaded value, or the awaitable that loads it (graphql-core awaits what a
    synchronous resolver returns when it is awaitable)."""
    value = loader.ready(key)
    return loader.load(key) if value is _MISSING else value


def is_missing(value: Any) -> bool:
    return value is _MISSING


def now_or_then(loader: Loader[Any, Any], key: Any, then: Callable[[Any], Any]) -> Any:
    """``then(value)`` now if the value is loaded, else an awaitable of it."""
    value = loader.ready(key)
    if value is not _MISSING:
        return then(value)

    async def later() -> Any:
        return then(await loader.load(key))

    return later()


@dataclass(frozen=True)
class Nested:
    """A connection field of a node type: ``spec``'s pages, keyed by a parent row's id."""

    spec: PageSpec
    node_type: str


@dataclass(frozen=True)
class Figure:
    """A field whose value one of the loaders computes, keyed by a value of the row."""

    loader: Callable[[Loaders], Loader[Any, Any]]
    key: Callable[[Any], Any]


def _registry() -> dict[tuple[str, str], Nested | Figure]:
    from graphql_schema.loaders import COMMITMENTS, MILESTONES, REPORTS

    def commitment_progress(loaders: Loaders) -> Loader[Any, Any]:
        return loaders.commitment_progress

    return {
        ("ActionPlan", "commitments"): Nested(COMMITMENTS, "Commitment"),
        ("ActionPlan", "progress"): Figure(lambda loaders: loaders.plan_progress, _id),
        ("Commitment", "milestones"): Nested(MILESTONES, "Milestone"),
        ("Commitment", "progress"): Figure(commitment_progress, _id),
        ("Commitment", "completionLevel"): Figure(commitment_progress, _id),
        ("Commitment", "leadAgency"): Figure(
            lambda loaders: loaders.get(Actor), lambda row: row.lead_agency_id
        ),
        ("Milestone", "reports"): Nested(REPORTS, "ProgressReport"),
    }


def _id(row: Any) -> Any:
    return row.id


@cache
def registry() -> dict[tuple[str, str], Nested | Figure]:
    return _registry()


@dataclass
class Operation:
    """What look-ahead reads of the operation: its fragments and variables."""

    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]


def operation_of(info: Any) -> Operation:
    raw = info._raw_info
    return Operation(raw.fragments, raw.variable_values or {})


def connection_nodes(field_nodes: Iterable[FieldNode], op: Operation) -> list[SelectionSetNode]:
    """The selection sets that apply to a connection field's nodes: under ``nodes`` and under
    ``edges { node }``."""
    found: list[SelectionSetNode] = []
    for field in field_nodes:
        for name, nodes in _fields(field.selection_set, op).items():
            for node in nodes:
                if node.selection_set is None:
                    continue
                if name == "nodes":
                    found.append(node.selection_set)
                elif name == "edges":
                    for inner in _fields(node.selection_set, op).get("node", []):
                        if inner.selection_set is not None:
                            found.append(inner.selection_set)
    return found


def _fields(selection_set: SelectionSetNode | None, op: Operation) -> dict[str, list[FieldNode]]:
    """Field nodes by field name (aliases kept apart by their nodes), through fragments. Type
    conditions are not checked: a connection's nodes are of one type, and loading for a
    fragment that does not apply costs a statement, never a wrong answer."""
    out: dict[str, list[FieldNode]] = {}
    _walk(selection_set, op, frozenset(), out)
    return out


def _walk(
    selections: SelectionSetNode | None,
    op: Operation,
    seen: frozenset[str],
    out: dict[str, list[FieldNode]],
) -> None:
    """``_fields``' recursion (a module function: a nested one would refer to itself through
    its closure, a cycle that leaves every request's field lists to the cyclic GC)."""
    if selections is None:
        return
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            out.setdefault(selection.name.value, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _walk(selection.selection_set, op, seen, out)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = op.fragments.get(name)
            if fragment is not None and name not in seen:
                _walk(fragment.selection_set, op, seen | {name}, out)


def _argument(field: FieldNode, name: str, op: Operation) -> Any:
    """A literal or variable argument; ``_MISSING`` for anything look-ahead does not price."""
    for argument in field.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return op.variables.get(value.name.value)
        if isinstance(value, NullValueNode):
            return None
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, StringValueNode):
            return value.value
        return _MISSING
    return None


def _page_args(context: Context, spec: PageSpec, field: FieldNode, op: Operation) -> Any:
    if any(a.name.value not in ("first", "after") for a in field.arguments or ()):
        return _MISSING
    first, after = _argument(field, "first", op), _argument(field, "after", op)
    if first is _MISSING or after is _MISSING:
        return _MISSING
    if (first is not None and type(first) is not int) or (
        after is not None and not isinstance(after, str)
    ):
        return _MISSING
    try:
        return page_args(spec, first, after, max_page=context.settings.max_page_size)
    except UsinaError:
        return _MISSING  # the resolver reports it, where it belongs


async def prefetch(
    context: Context,
    op: Operation,
    type_name: str,
    rows: list[Any],
    selections: list[SelectionSetNode],
    depth: int = 0,
) -> None:
    """Load, for all ``rows`` (nodes of ``type_name``) at once, what ``selections`` ask of
    them, and so on below."""
    if not rows or not selections or depth > 8:
        return
    rules = registry()
    fields: dict[str, list[FieldNode]] = {}
    for selection_set in selections:
        for name, nodes in _fields(selection_set, op).items():
            fields.setdefault(name, []).extend(nodes)
    loaders = context.loaders
    for name, nodes in fields.items():
        rule = rules.get((type_name, name))
        if isinstance(rule, Figure):
            loader = rule.loader(loaders)
            keys = [k for k in dict.fromkeys(rule.key(row) for row in rows) if k is not None]
            if keys:
                await load_all(loader, keys)
        elif isinstance(rule, Nested):
            await _prefetch_nested(context, op, rule, rows, nodes, depth)


async def _prefetch_nested(
    context: Context,
    op: Operation,
    rule: Nested,
    rows: list[Any],
    nodes: list[FieldNode],
    depth: int,
) -> None:
    parents: list[uuid.UUID] = list(dict.fromkeys(row.id for row in rows))
    by_args: dict[PageArgs, list[FieldNode]] = {}
    for node in nodes:
        args = _page_args(context, rule.spec, node, op)
        if args is not _MISSING:
            by_args.setdefault(args, []).append(node)
    loaders = context.loaders
    for args, field_nodes in by_args.items():
        pages = await load_all(loaders.page(rule.spec), [(p, args) for p in parents])
        if any("totalCount" in _fields(node.selection_set, op) for node in field_nodes):
            await load_all(loaders.count(rule.spec), [(p, ()) for p in parents])
        children = [row for page in pages for row in page.rows]
        await prefetch(
            context,
            op,
            rule.node_type,
            children,
            connection_nodes(field_nodes, op),
            depth + 1,
        )
