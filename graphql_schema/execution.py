"""graphql-core's executor with a fast path for the fields that are most of every answer.

A portal query resolves about 800 fields; graphql-core spends 5-8 us on each (a resolve info,
the resolver through strawberry's wrappers, an awaitable check, ``complete_value``'s type
dispatch). Most of them are *plain*: a strawberry field without resolver, extension or
permission (an attribute of the object), or a synchronous method that takes only ``self``
(``Commitment.ogpValues``), whose type is a scalar or an enum (or a list of them); most of the
others are synchronous resolvers that take ``info`` (and scalar or enum arguments).

For each selection set, :class:`FastExecutor` runs a function compiled once per structure
(``_compile``: the parent type, the response names, what each field is), which reads each
plain field and coerces it inline, and calls each ``info`` resolver directly. Anything else,
and any value a shortcut does not take (``None`` for a non-null field, a value the scalar
refuses, an awaitable, an exception), takes graphql-core's own path with the value already
read: the error, its path and locations and the null propagation are graphql-core's,
unchanged. The result is the same dict graphql-core builds, field for field and in the same
order.

A *static* document (no directive on a selection, no fragment argument) collects the same
fields whatever its variables: its fields are collected and planned by its first execution and
shared by every later one (``_Shared``).

The fast path runs no field extension and no middleware (a field with either is not plain;
an executor with middleware takes no fast path).
"""

from __future__ import annotations

import inspect
import keyword
import weakref
from collections.abc import Callable
from functools import cache
from operator import attrgetter
from types import CoroutineType, GeneratorType
from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    is_leaf_type,
    specified_scalar_types,
)
from graphql.execution.collect_fields import CollectedFields, collect_subfields
from graphql.execution.executor import gather_with_cancel, invalid_return_type_error, to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.scalars import ID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info as StrawberryInfo
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition


class Plain(NamedTuple):
    """A plain field whose type is a leaf (or a list of one)."""

    read: Callable[[Any], Any]
    coerce: Callable[[Any], Any]
    non_null: bool
    is_list: bool
    #: the one Python type whose values the scalar (a list's item type) returns unchanged
    #: (``str`` for String and ID, ``bool`` for Boolean; ``int`` and ``float`` within their
    #: bounds) or, for a strawberry enum, its Python class; else ``None``
    same: type | None
    #: that enum's members to their GraphQL names (``same`` and ``names`` only shortcut
    #: ``coerce`` for the values it returns unchanged or looks up)
    names: dict[Any, str] | None


class PlainObject(NamedTuple):
    """A plain field whose type is an object type (or a list of one)."""

    read: Callable[[Any], Any]
    object_type: GraphQLObjectType
    non_null: bool
    is_list: bool
    item_type: GraphQLOutputType  # the list's item type (non-null or not); the type itself
    field_type: GraphQLOutputType  # the field's whole type, for null propagation
    #: strawberry's own ``is_type_of`` (an isinstance check that reads no info), if any
    is_type_of: Callable[[Any, Any], Any] | None
    #: the classes ``is_type_of`` accepted (for an object not cast: ``_is_type``)
    accepted: set[type]


#: ``read`` could not give a value without side effects worth repeating: take the slow path.
_SLOW = object()


class InfoField(NamedTuple):
    """A synchronous resolver that takes the info and scalar or enum arguments (or lists of
    them) only: called directly, without strawberry's per-call argument conversion (such an
    argument converts to itself; a list to a copy of itself, as strawberry's does: graphql-core
    gives every request the same default list)."""

    call: Callable[..., Any]
    field_def: GraphQLField
    strawberry_field: Any
    #: (GraphQL name, Python name, whether a list) of each argument
    names: tuple[tuple[str, str, bool], ...]
    info_name: str
    #: how its value is completed without graphql-core's dispatch (``read`` unused), if it can be
    completion: Plain | PlainObject | None
    #: the resolver takes ``(self, info)`` positionally: a runner calls it so
    positional: bool


_SCALARS = (int, str, bool, float)


def _unwrapped(kind: Any) -> Any:
    return kind.of_type if isinstance(kind, StrawberryOptional) else kind


def info_field(field_def: GraphQLField) -> InfoField | None:
    strawberry_field = (field_def.extensions or {}).get("strawberry-definition")
    resolver = getattr(strawberry_field, "base_resolver", None)
    if (
        strawberry_field is None
        or resolver is None
        or strawberry_field.extensions
        or strawberry_field.permission_classes
        or strawberry_field.is_async
        or resolver.self_parameter is None
        or resolver.info_parameter is None
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
        or len(resolver.arguments) != len(field_def.args)
    ):
        return None
    names: list[tuple[str, str, bool]] = []
    for graphql_name, argument in zip(field_def.args, resolver.arguments, strict=True):
        kind = _unwrapped(argument.type)
        is_list = isinstance(kind, StrawberryList)
        if is_list:
            kind = _unwrapped(kind.of_type)
        if not (kind in _SCALARS or kind is ID or isinstance(kind, StrawberryEnumDefinition)):
            return None
        names.append((graphql_name, argument.python_name, is_list))
    parameters = list(inspect.signature(resolver.wrapped_func).parameters.values())
    positional = (
        not names
        and len(parameters) == 2
        and parameters[1].name == resolver.info_parameter.name
        and parameters[1].kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    )
    return InfoField(
        resolver.wrapped_func,
        field_def,
        strawberry_field,
        tuple(names),
        resolver.info_parameter.name,
        _completion(field_def, _unused_read),
        positional,
    )


#: id(reader) -> (that reader, the attribute it reads), for the readers of plain attributes
_ATTRIBUTES: dict[int, tuple[Callable[[Any], Any], str]] = {}


def _unused_read(_source: Any) -> Any:
    raise AssertionError("an info field's value comes from its resolver")


def _reader(field_def: GraphQLField) -> Callable[[Any], Any] | None:
    """How to read the field's value from its source without graphql-core, or ``None``."""
    strawberry_field = (field_def.extensions or {}).get("strawberry-definition")
    resolve = field_def.resolve
    if strawberry_field is None or resolve is None:
        return None
    if getattr(resolve, "__name__", "") == "_get_basic_result":
        if strawberry_field.default_resolver is not getattr:
            return None
        name = strawberry_field.python_name
        read = attrgetter(name)
        _ATTRIBUTES[id(read)] = (read, name)
        return read
    resolver = strawberry_field.base_resolver
    if (
        resolver is None
        or strawberry_field.extensions
        or strawberry_field.permission_classes
        or strawberry_field.is_async
        or field_def.args
        or resolver.arguments
        or resolver.self_parameter is None
        or resolver.info_parameter is not None
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
    ):
        return None
    return resolver.wrapped_func


def plain_field(field_def: GraphQLField) -> Plain | PlainObject | None:
    """The fast path of a field, or ``None`` when graphql-core must resolve it."""
    read = _reader(field_def)
    if read is None:
        return None
    return _completion(field_def, read)


def _completion(field_def: GraphQLField, read: Callable[[Any], Any]) -> Plain | PlainObject | None:
    """How a value of the field's type is completed on the fast path, or ``None``."""
    field_type: GraphQLOutputType = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    if non_null:
        field_type = field_type.of_type  # type: ignore[union-attr]
    is_list = isinstance(field_type, GraphQLList)
    item_type = field_type.of_type if is_list else field_type  # type: ignore[union-attr]
    named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
    if isinstance(named, GraphQLObjectType):
        is_type_of = named.is_type_of
        if is_type_of is not None and "_get_is_type_of.<locals>" not in is_type_of.__qualname__:
            return None  # a type's own is_type_of may read the resolve info
        return PlainObject(
            read, named, non_null, is_list, item_type, field_def.type, is_type_of, set()
        )
    if is_list:
        item = field_type.of_type  # type: ignore[union-attr]
        # Only lists of non-null leaves: a null item takes graphql-core's path.
        if not isinstance(item, GraphQLNonNull) or not is_leaf_type(item.of_type):
            return None
        field_type = item.of_type
    if not is_leaf_type(field_type):
        return None
    leaf: GraphQLLeafType = field_type
    same: type | None = None
    names = _enum_names(leaf)
    if names is not None:
        same = getattr(leaf, "wrapped_cls")  # noqa: B009  # strawberry's enum class
    elif leaf in _STANDARD:
        same = _SAME.get(leaf.name)
    return Plain(read, leaf.coerce_output_value, non_null, is_list, same, names)


#: graphql-core's own scalars, which strawberry uses for ``str``, ``bool``, ``int``, ``float``
#: and ``ID`` (a scalar of the same name defined elsewhere gets no shortcut).
_STANDARD = frozenset(specified_scalar_types.values())
_SAME: dict[str, type] = {"String": str, "ID": str, "Boolean": bool, "Int": int, "Float": float}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
#: every int up to this magnitude is exactly a float
_EXACT_FLOAT = 2**53


def _enum_names(leaf: GraphQLLeafType) -> dict[Any, str] | None:
    """A strawberry enum's members to the names its ``coerce_output_value`` gives them."""
    wrapped = getattr(leaf, "wrapped_cls", None)
    if not isinstance(leaf, GraphQLEnumType) or wrapped is None:
        return None
    names: dict[Any, str] = {}
    for member in wrapped:
        for name, value in leaf.values.items():
            if member.value == value.value:
                names[member] = name
                break
    return names


class FastExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor; plain leaf fields are read and coerced inline.

    Fields below another municipality's node (``municipalities { actionPlans }``) resolve with
    that municipality's own context: the request context's ``routes`` map a response path to
    it (``Context.bound_to``), and every field under that path sees it as ``info.context``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: per grouped field set: its runner and what it needs (see ``_link``)
        self._usina_plans: dict[int, Link] = {}
        #: per plain object field's details: its subfields and their runner (see ``_child``)
        self._usina_children: dict[int, Any] = {}
        #: per field node: its coerced arguments (see ``_arguments``)
        self._usina_arguments: dict[int, Any] = {}
        self._routes = getattr(self.context_value, "routes", None)
        self._usina_shared = _shared_for(self.schema, self.operation, self.fragments)
        self.async_helpers = _weak_helpers(self)

    def build_resolve_info(
        self,
        field_def: GraphQLField,
        field_nodes: list[Any],
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> Any:
        info = super().build_resolve_info(field_def, field_nodes, parent_type, path)
        routes = self._routes
        if routes:  # empty for every request that stays in one municipality
            context = routes.find(path.prev)
            if context is not None:
                return info._replace(context=context)
        return info

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:  # a resolve hook on every field
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        link = self._usina_plans.get(id(grouped_field_set))
        if link is None:
            link = self._link(parent_type, grouped_field_set)
        _, run, details, nodes = link
        return run(self, source_value, path, details, nodes, position_context)

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: Any
    ) -> CollectedFields:
        """graphql-core's (memoized per execution); for a static document, also shared by
        every execution of it, keyed by the field nodes (see ``_Shared``)."""
        memo = self._relevant_sub_fields
        cached = memo.get((return_type, id(field_details_list)))
        if cached is not None:
            return cached[1]
        shared = self._usina_shared
        if shared is None:
            return super().collect_subfields(return_type, field_details_list)
        nodes = tuple([details.node for details in field_details_list])
        key = (return_type, *map(id, nodes))
        hit = shared.collected.get(key)
        if hit is None:
            collected = collect_subfields(
                self.schema,
                self.fragments,
                self.variable_values,
                self.operation,
                return_type,
                field_details_list,
                self.hide_suggestions,
            )
            link = self._plan(return_type, collected.grouped_field_set)
            hit = shared.keep(key, nodes, collected, link)
        memo[(return_type, id(field_details_list))] = (field_details_list, hit[1])
        return hit[1]

    def _link(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Link:
        """The runner of a grouped field set and what it needs, once per execution (and once
        for every execution of a static document: ``collect_subfields``)."""
        shared = self._usina_shared
        link = None if shared is None else shared.links.get(id(grouped_field_set))
        if link is None or link[0] is not grouped_field_set:
            link = self._plan(parent_type, grouped_field_set)
        self._usina_plans[id(grouped_field_set)] = link  # the set kept alive with its id
        return link

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Link:
        """Which fields are plain, and the runner compiled for that (see ``_runner``)."""
        known: dict[int, Any] = _field_cache(self.schema)
        plans: list[tuple[str, Plan]] = []
        details: list[Any] = []
        nodes: list[Any] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            plain: Plan = None
            if field_def is not None and not node.directives:
                entry = known.get(id(field_def))
                if entry is None:
                    fast = plain_field(field_def) or info_field(field_def)
                    entry = known[id(field_def)] = (field_def, fast)
                plain = entry[1]
            plans.append((response_name, plain))
            details.append(field_details_list)
            nodes.append(to_nodes(field_details_list) if type(plain) is InfoField else None)
        run = _runner(self.schema, parent_type, plans)
        return (grouped_field_set, run, tuple(details), tuple(nodes))

    def _leaf(
        self,
        plain: Plain,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path | None,
        response_name: str,
        value: Any,
        position_context: Any,
    ) -> Any:
        """A plain leaf's value that its runner's shortcut did not take."""
        if value is None:
            if not plain.non_null:
                return None
        elif value is not _SLOW:
            completed = _coerce(plain, value)
            if completed is not _SLOW:
                return completed
        field_path = _path(Path, (path, response_name, parent_type.name))
        return self._complete_read(
            parent_type, source, field_details_list, field_path, position_context, value
        )

    def _complete_read(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
        value: Any,
    ) -> Any:
        """graphql-core's ``execute_field`` for a value that did not take the fast path."""
        if value is _SLOW:  # reading raised: let graphql-core read it and report it
            return self.execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        field_def = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
        assert field_def is not None
        return_type = field_def.type
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
        return self._complete(return_type, field_details_list, info, path, value, position_context)

    def _complete(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """The end of graphql-core's ``execute_field``: complete a resolved value (or await
        it), reporting an error at the field's path."""
        try:
            if self.is_awaitable(value):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, value, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._guarded(completed, return_type, field_details_list, path)
        return completed

    def _kwargs(
        self, plain: InfoField, field_details_list: Any, field_nodes: list[Any], info: Any
    ) -> dict[str, Any]:
        """An info resolver's keyword arguments: its arguments as graphql-core coerced them
        (each list copied, as strawberry's conversion does) and its ``info``."""
        kwargs: dict[str, Any] = {}
        if plain.names:
            args = self._arguments(plain.field_def, field_nodes[0], field_details_list[0])
            for name, python, is_list in plain.names:
                if name in args:
                    value = args[name]
                    kwargs[python] = list(value) if is_list and value is not None else value
        kwargs[plain.info_name] = info
        return kwargs

    def _info_value(
        self, plain: InfoField, field_details_list: Any, path: Path, value: Any, info: Any
    ) -> Any:
        """An info field's resolved value, completed."""
        completion = plain.completion
        if completion is not None and value is not None:
            if type(completion) is PlainObject:
                if not (
                    (type(value) not in _SYNC and self.is_awaitable(value))
                    or (completion.is_list and not self._plain_items(value))
                ):
                    return self._complete_objects(completion, field_details_list, path, value)
            elif type(completion) is Plain:
                completed = _coerce(completion, value)
                if completed is not _SLOW:
                    return completed
        return self._complete(
            plain.field_def.type, field_details_list, info._raw_info, path, value, None
        )

    def _arguments(self, field_def: GraphQLField, node: Any, details: Any) -> dict[str, Any]:
        """A field node's coerced arguments, once per execution (its variables do not change
        while it runs; fragment arguments, which could, are not cached)."""
        if not (field_def.args or node.arguments):
            return {}
        fragment_values = details.fragment_variable_values
        cache = self._usina_arguments
        cached = cache.get(id(node)) if fragment_values is None else None
        if cached is not None:
            return cached[1]
        args = get_argument_values(
            field_def, node, self.variable_values, fragment_values, self.hide_suggestions
        )
        if fragment_values is None:
            cache[id(node)] = (node, args)  # the node kept alive with its id
        return args

    def _complete_plain_object(
        self,
        plain: PlainObject,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path | None,
        response_name: str,
    ) -> Any:
        """An object (or a list of objects) read from a plain field, completed as
        graphql-core's ``complete_value`` would, without its generic dispatch."""
        field_path = _path(Path, (path, response_name, parent_type.name))
        try:
            value = plain.read(source)
        except Exception:
            value = _SLOW
        if (
            value is _SLOW
            or value is None
            or (type(value) not in _SYNC and self.is_awaitable(value))
            or (plain.is_list and not self._plain_items(value))
        ):
            return self._complete_read(
                parent_type, source, field_details_list, field_path, None, value
            )
        return self._complete_objects(plain, field_details_list, field_path, value)

    def _complete_objects(
        self, plain: PlainObject, field_details_list: Any, path: Path, value: Any
    ) -> Any:
        """A non-null object (or list of them, without nulls or awaitables), completed as
        graphql-core's ``complete_value`` would, without its generic dispatch."""
        try:
            if plain.is_list:
                completed = self._complete_object_list(plain, field_details_list, path, value)
            else:
                completed = self._complete_object(plain, field_details_list, path, value)
        except Exception as raw_error:
            self.handle_field_error(raw_error, plain.field_type, field_details_list, path)
            return None
        if type(completed) not in _SYNC and self.is_awaitable(completed):
            return self._guarded(completed, plain.field_type, field_details_list, path)
        return completed

    def _plain_items(self, value: Any) -> bool:
        """A list without nulls or awaitables (those take graphql-core's path)."""
        if type(value) is not list:
            return False
        for item in value:
            kind = type(item)
            if kind not in _NOT_AWAITABLE:
                if item is None or self.is_awaitable(item):
                    return False
                if not hasattr(kind, "__await__") and kind not in _MAYBE_AWAITABLE:
                    _NOT_AWAITABLE.add(kind)
        return True

    def _complete_object(
        self, plain: PlainObject, field_details_list: Any, path: Path, value: Any
    ) -> Any:
        child = self._usina_children.get(id(field_details_list))
        if child is None:
            child = self._child(plain, field_details_list)
        _, collected, link = child
        if link is None or (
            plain.is_type_of is not None
            and not (type(value) in plain.accepted and getattr(value, _CAST, None) is None)
        ):  # (the runner path needs no middleware: none, or this path is not taken)
            return self._execute_object(plain, field_details_list, collected, path, value)
        return link[1](self, value, path, link[2], link[3], None)

    def _child(self, plain: PlainObject, field_details_list: Any) -> Any:
        """The subfields of a plain object field and their runner's link (``None`` under
        ``@defer``), once per execution: ``(field details, collected, link)``."""
        collected = self.collect_subfields(plain.object_type, field_details_list)
        grouped_field_set, new_defer_usages, _ = collected
        link = None
        if not new_defer_usages:
            link = self._usina_plans.get(id(grouped_field_set))
            if link is None:
                link = self._link(plain.object_type, grouped_field_set)
        child = self._usina_children[id(field_details_list)] = (
            field_details_list,  # kept alive with its id
            collected,
            link,
        )
        return child

    def _execute_object(
        self, plain: PlainObject, field_details_list: Any, collected: Any, path: Path, value: Any
    ) -> Any:
        """An object's fields, given its type's subfields (``collect_subfields``)."""
        if plain.is_type_of is not None and not _is_type(plain, value):
            raise invalid_return_type_error(plain.object_type, value, field_details_list)
        grouped_field_set, new_defer_usages, _ = collected
        if new_defer_usages:  # @defer: graphql-core's incremental path
            return self.execute_collected_subfields(
                plain.object_type, value, path, grouped_field_set, new_defer_usages, None
            )
        return self.execute_fields(plain.object_type, value, path, grouped_field_set, None)

    def _complete_object_list(
        self, plain: PlainObject, field_details_list: Any, path: Path, items: list[Any]
    ) -> Any:
        """``_complete_object`` for each item, the subfields (the same for every item)
        collected and linked to their runner once."""
        if not items:
            return []
        item_type = plain.item_type
        child = self._usina_children.get(id(field_details_list))
        if child is None:
            child = self._child(plain, field_details_list)
        _, collected, link = child
        if link is not None and plain.is_type_of is not None:
            accepted = plain.accepted
            for item in items:
                if type(item) not in accepted or getattr(item, _CAST, None) is not None:
                    link = None  # strawberry's is_type_of decides (and may refuse), item by item
                    break
        completed: list[Any] = []
        append = completed.append
        awaitable_indices: list[int] = []
        for index, item in enumerate(items):
            item_path = _path(Path, (path, index, None))
            try:
                if link is None:  # (or @defer: graphql-core's incremental path)
                    result = self._execute_object(
                        plain, field_details_list, collected, item_path, item
                    )
                else:
                    result = link[1](self, item, item_path, link[2], link[3], None)
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                result = None
            else:
                if type(result) is not dict and self.is_awaitable(result):
                    result = self._guarded(result, item_type, field_details_list, item_path)
                    awaitable_indices.append(index)
            append(result)
        if not awaitable_indices:
            return completed
        return self._gather_items(completed, awaitable_indices)

    async def _guarded(
        self, result: Any, return_type: GraphQLOutputType, field_details_list: Any, path: Path
    ) -> Any:
        """An awaitable completion whose error is handled as graphql-core handles a field's
        (null where nullable, propagated where not)."""
        try:
            return await result
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    async def _gather_items(self, completed: list[Any], indices: list[int]) -> list[Any]:
        if len(indices) == 1:
            completed[indices[0]] = await completed[indices[0]]
        else:
            awaited = await gather_with_cancel(*(completed[index] for index in indices))
            for index, value in zip(indices, awaited, strict=True):
                completed[index] = value
        return completed

    async def _gather_fields(self, results: dict[str, Any], awaitable_fields: list[str]) -> Any:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results


def _weak_helpers(executor: FastExecutor) -> GraphQLResolveInfoHelpers:
    """graphql-core's helpers for resolvers, referring to the executor weakly: its own hold
    the executor's bound methods, a reference cycle that leaves the executor (and the request's
    context, session and rows it refers to) to the cyclic GC instead of reference counting."""
    ref = weakref.ref(executor)

    def gather(values: Any) -> Any:
        return ref().gather_async_work(values)  # type: ignore[union-attr]  # alive: it runs

    def track(values: Any) -> None:
        ref().track_async_work(values)  # type: ignore[union-attr]

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _build_raw_info(info: Any) -> Any:
    values = info.__dict__
    raw = values.get("_usina_raw")
    if raw is None:
        executor, field_def, field_nodes, parent_type, path = values["_usina_make"]
        raw = values["_usina_raw"] = executor.build_resolve_info(
            field_def, field_nodes, parent_type, path
        )
    return raw


def _lazy_info_class_of(schema: Any) -> type:
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    info_class = strawberry_schema.config.info_class if strawberry_schema else StrawberryInfo
    return _lazy_info_class(info_class)


@cache
def _lazy_info_class(info_class: type) -> type:
    """``info_class`` whose ``_raw_info`` (graphql-core's resolve info) is built on first use;
    its ``context`` is known without it."""
    return type(
        f"Lazy{info_class.__name__}",
        (info_class,),
        {
            "_raw_info": property(_build_raw_info),
            # a plain class attribute over the base's property: the instance's own ``context``
            # (set when it is made) is read without a call
            "context": None,
            "__module__": __name__,
        },
    )


#: ``_path(Path, (prev, key, typename))`` is ``Path(prev, key, typename)`` without the Python-level
#: ``__new__`` of a named tuple (a response path per field and per list item)
_path = tuple.__new__

#: Classes whose instances are never awaitable (no ``__await__``, not a coroutine or a
#: generator): an item of one needs no ``is_awaitable`` check.
_NOT_AWAITABLE: set[type] = set()
_MAYBE_AWAITABLE = (CoroutineType, GeneratorType, type(None))


def _coerce(plain: Plain, value: Any) -> Any:
    """A non-null value of a leaf field (or a list of them) completed as its type's
    ``coerce_output_value`` would, or ``_SLOW`` for anything graphql-core must complete (a
    null, an error)."""
    if plain.is_list:
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
            return _SLOW
        out = [_coerce_one(plain, item) for item in value]
        return _SLOW if any(item is _SLOW for item in out) else out
    return _coerce_one(plain, value)


def _coerce_one(plain: Plain, value: Any) -> Any:
    kind = type(value)
    if kind is plain.same:
        names = plain.names
        if names is not None:
            name = names.get(value)
            if name is not None:
                return name
        elif (
            kind is str
            or kind is bool
            or (kind is float and value - value == 0.0)  # finite
            or (kind is int and _INT_MIN <= value <= _INT_MAX)
        ):
            return value
    try:
        coerced = plain.coerce(value)
    except Exception:
        return _SLOW
    return _SLOW if coerced is None or coerced is Undefined else coerced


def _is_type(plain: PlainObject, value: Any) -> bool:
    """strawberry's ``is_type_of``, remembered per class: without a cast (``strawberry.cast``)
    its answer depends on the object's class alone."""
    kind = type(value)
    if kind in plain.accepted and getattr(value, _CAST, None) is None:
        return True
    assert plain.is_type_of is not None
    if not plain.is_type_of(value, None):
        return False
    if getattr(value, _CAST, None) is None:
        plain.accepted.add(kind)
    return True


Plan = Plain | PlainObject | InfoField | None
#: (the grouped field set, its runner, each field's details, each info field's nodes)
Link = tuple[Any, Callable[..., Any], tuple[Any, ...], tuple[Any, ...]]


class _Shared:
    """What every execution of a *static* document (no directive on a selection, no fragment
    argument: its collected fields depend on nothing but its nodes) shares with the others:
    each object's collected subfields, keyed by the field nodes they come from, and the runner
    linked to them. A portal's query is executed thousands of times; its fields are collected
    and planned once.

    Each entry keeps its nodes and sets alive, so an id in a key cannot be reused while the
    entry exists. Bounded: past ``LIMIT`` entries (documents come and go from the parser's
    cache), everything is dropped and built again."""

    LIMIT = 10_000

    def __init__(self) -> None:
        #: id(operation) -> (operation, whether its document is static)
        self.static: dict[int, tuple[Any, bool]] = {}
        #: (return type, *ids of the field nodes) -> (those nodes, collected subfields)
        self.collected: dict[tuple[Any, ...], tuple[tuple[Any, ...], CollectedFields]] = {}
        #: id(grouped field set) -> its link (the set first)
        self.links: dict[int, Link] = {}
        #: structure of a grouped field set (see ``_runner``) -> its compiled runner
        self.runners: dict[tuple[Any, ...], Callable[..., Any]] = {}

    def keep(
        self, key: tuple[Any, ...], nodes: tuple[Any, ...], collected: CollectedFields, link: Link
    ) -> tuple[tuple[Any, ...], CollectedFields]:
        if len(self.collected) >= self.LIMIT:
            self.collected.clear()
            self.links.clear()
            self.static.clear()
        hit = self.collected[key] = (nodes, collected)
        self.links[id(collected.grouped_field_set)] = link
        return hit


def _shared(schema: Any) -> _Shared:
    shared: _Shared | None = getattr(schema, "_usina_shared", None)
    if shared is None:
        shared = schema._usina_shared = _Shared()
    return shared


def _shared_for(schema: Any, operation: Any, fragments: Any) -> _Shared | None:
    """The schema's shared state if the operation's document is static, else ``None``."""
    shared = _shared(schema)
    known = shared.static.get(id(operation))
    if known is None or known[0] is not operation:
        static = _is_static(operation, fragments)
        if len(shared.static) >= _Shared.LIMIT:
            shared.static.clear()
        known = shared.static[id(operation)] = (operation, static)
    return shared if known[1] else None


def _is_static(operation: Any, fragments: Any) -> bool:
    """No directive on any selection of the operation or its fragments, and no fragment that
    takes arguments: collecting its fields reads no variable."""
    sets = [operation.selection_set]
    for details in fragments.values():
        if details.variable_signatures or details.definition.directives:
            return False
        sets.append(details.definition.selection_set)
    while sets:
        selection_set = sets.pop()
        for selection in selection_set.selections:
            if selection.directives:
                return False
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                sets.append(inner)
    return True


def _runner(schema: Any, parent_type: GraphQLObjectType, plans: list[tuple[str, Plan]]) -> Any:
    """The runner of a grouped field set: compiled once per structure (parent type, response
    names, each field's plan), whatever execution or document it comes from."""
    runners = _shared(schema).runners
    key = (parent_type, *[(name, id(plan)) for name, plan in plans])
    run = runners.get(key)
    if run is None:
        run = runners[key] = _compile(parent_type, plans, _lazy_info_class_of(schema))
    return run


#: exact classes whose instances are never awaitable (a completed object is a ``dict``)
_SYNC = frozenset({dict, list, str, int, float, bool, type(None)})
_CAST = "__as_strawberry_type__"  # strawberry.types.cast.TYPE_CAST_ATTRIBUTE


def _compile(
    parent_type: GraphQLObjectType, plans: list[tuple[str, Plan]], lazy_info_class: type
) -> Any:
    """A function that executes the fields of one grouped field set on a source object, as
    graphql-core's ``execute_fields`` would, with each field's shortcut written out: a plain
    leaf is an attribute read, a type check and a store; a resolver that takes ``info`` is
    called directly (``_info_lines``); anything a shortcut does not take goes to the methods
    that complete it as graphql-core does (``_leaf``, ``_info_value``,
    ``_complete_plain_object``), and a field that is not plain to graphql-core's
    ``execute_field``.

    ``run(ex, source, path, D, N, pc)``: the executor, the source, its path, each field's
    details and each info field's nodes (this execution's), the position context."""
    env: dict[str, Any] = {
        "Path": Path,
        "path_of": _path,
        "Undefined": Undefined,
        "SLOW": _SLOW,
        "SYNC": _SYNC,
        "coerce": _coerce,
        "T": parent_type,
        "TN": parent_type.name,
        "new": object.__new__,
        "LAZY": lazy_info_class,
    }
    body: list[str] = []
    for index, (response_name, plan) in enumerate(plans):
        name = repr(response_name)  # a GraphQL name: letters, digits and underscores
        env[f"P{index}"] = plan
        store = [
            "if x is not Undefined:",
            f"    results[{name}] = x",
            "    if type(x) not in SYNC and ex.is_awaitable(x):",
            f"        pending.append({name})",
        ]
        if type(plan) is Plain:
            body += ["try:", f"    v = {_read_expression(plan, index, env)}"]
            body += ["except Exception:", "    v = SLOW"]
            if not plan.is_list and plan.same is None:  # another scalar: its coerce inline
                env[f"K{index}"] = plan.coerce
                body += [
                    "try:",
                    f"    x = K{index}(v) if v is not None and v is not SLOW else SLOW",
                    "except Exception:",
                    "    x = SLOW",
                ]
                fast, value = "x is not SLOW and x is not None and x is not Undefined", "x"
            else:
                fast, value = _shortcut(plan, index, env)
            body += [f"if {fast}:", f"    results[{name}] = {value}"]
            if not plan.non_null:
                body += ["elif v is None:", f"    results[{name}] = None"]
            body += [
                "else:",
                f"    x = ex._leaf(P{index}, T, source, D[{index}], path, {name}, v, pc)",
            ]
            body += ["    " + line for line in store]
            continue
        if type(plan) is PlainObject:
            call = f"ex._complete_plain_object(P{index}, T, source, D[{index}], path, {name})"
        elif type(plan) is InfoField:
            body += _info_lines(plan, index, name, env)
            body += ["    " + line for line in store]
            continue
        else:
            call = f"ex.execute_field(T, source, D[{index}], path_of(Path, (path, {name}, TN)), pc)"
        body += [f"x = {call}", *store]
    source = "\n".join(
        [
            "def run(ex, source, path, D, N, pc):",
            "    results = {}",
            "    pending = []",
            "    routes = ex._routes",
            "    context = ex.context_value",
            "    try:",
            *("        " + line for line in body or ["pass"]),
            "    except Exception:",
            "        if pending:",
            "            ex.settle_in_background([results[f] for f in pending])",
            "        raise",
            "    if not pending:",
            "        return results",
            "    return ex._gather_fields(results, pending)",
        ]
    )
    code = compile(source, f"<usina fields of {parent_type.name}>", "exec")
    exec(code, env)  # generated from the schema's own names, see above
    return env["run"]


def _info_lines(plan: InfoField, index: int, name: str, env: dict[str, Any]) -> list[str]:
    """graphql-core's ``execute_field`` written out for a resolver that takes ``info``: called
    directly with strawberry's ``Info`` whose graphql-core resolve info is built only if the
    resolver reads more than ``info.context`` (most read nothing else); its value in ``x``,
    completed."""
    env[f"C{index}"] = plan.call
    env[f"F{index}"] = plan.strawberry_field
    env[f"G{index}"] = plan.field_def
    completion = plan.completion
    lines = [
        f"p = path_of(Path, (path, {name}, TN))",
        "info = new(LAZY)",
        "d = info.__dict__",
        f"d['_field'] = F{index}",
        f"d['_usina_make'] = (ex, G{index}, N[{index}], T, p)",
        "d['context'] = info._raw_info.context if routes else context",
        "try:",
        f"    v = C{index}(source, info)"
        if plan.positional
        else f"    v = C{index}(source, **ex._kwargs(P{index}, D[{index}], N[{index}], info))",
        "except Exception as error:",
        f"    ex.handle_field_error(error, G{index}.type, D[{index}], p)",
        "    x = None",
    ]
    complete = f"x = ex._info_value(P{index}, D[{index}], p, v, info)"
    lines.append("else:")
    if type(completion) is Plain and not completion.is_list and completion.same is not None:
        fast, value = _shortcut(completion, index, env)
        lines += [f"    if {fast}:", f"        x = {value}", "    else:", f"        {complete}"]
    else:
        lines.append(f"    {complete}")
    return lines


def _read_expression(plan: Plain, index: int, env: dict[str, Any]) -> str:
    """How the runner reads a plain leaf: an attribute read where the field reads one."""
    known = _ATTRIBUTES.get(id(plan.read))
    attribute = known[1] if known is not None and known[0] is plan.read else None
    if attribute is not None and attribute.isidentifier() and not keyword.iskeyword(attribute):
        return f"source.{attribute}"
    env[f"R{index}"] = plan.read
    return f"R{index}(source)"


def _shortcut(plan: Plain, index: int, env: dict[str, Any]) -> tuple[str, str]:
    """The condition under which a leaf's value is its answer, and that answer: ``_coerce``'s
    shortcuts for the field's exact type, written out."""
    same = plan.same
    if not plan.is_list and same is not None:
        if plan.names is not None:
            env[f"E{index}"], env[f"M{index}"] = same, plan.names
            return f"type(v) is E{index} and (x := M{index}.get(v)) is not None", "x"
        if same is str or same is bool:
            return f"type(v) is {same.__name__}", "v"
        if same is int:
            return f"type(v) is int and {_INT_MIN} <= v <= {_INT_MAX}", "v"
        if same is float:  # a finite float, or an int that converts exactly (serialize_float)
            return (
                "(type(v) is float and v - v == 0.0) or (type(v) is int "
                f"and {-_EXACT_FLOAT} <= v <= {_EXACT_FLOAT})"
            ), "v if type(v) is float else float(v)"
    return "v is not None and v is not SLOW and (x := coerce(P{index}, v)) is not SLOW".replace(
        "{index}", str(index)
    ), "x"


def _field_cache(schema: Any) -> dict[int, Any]:
    cache: dict[int, Any] | None = getattr(schema, "_usina_plain_fields", None)
    if cache is None:
        cache = {}
        schema._usina_plain_fields = cache
    return cache
