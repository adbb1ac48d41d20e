"""graphql-core's executor with a fast path for the fields that are most of every answer.

A portal query resolves about 800 fields; graphql-core spends 5-8 us on each (a resolve info,
the resolver through strawberry's wrappers, an awaitable check, ``complete_value``'s type
dispatch). Most of them are *plain*: a strawberry field without resolver, extension or
permission (an attribute of the object), or a synchronous method that takes only ``self``
(``Commitment.ogpValues``), whose type is a scalar or an enum (or a list of them).

For those, :class:`FastExecutor` reads the value and coerces it inline. Anything else, and
any plain field whose value is not simply a valid non-null leaf (``None`` for a non-null
field, a value the scalar refuses, an awaitable, an exception), takes graphql-core's own path
with the value already read: the error, its path and locations and the null propagation are
graphql-core's, unchanged. The result is the same dict graphql-core builds, field for field
and in the same order.

The fast path reads no argument (plain fields have none), runs no field extension and no
middleware (a field with either is not plain; an executor with middleware takes no fast path).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
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
    is_leaf_type,
    specified_scalar_types,
)
from graphql.execution.executor import gather_with_cancel, invalid_return_type_error, to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info as StrawberryInfo


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


#: ``read`` could not give a value without side effects worth repeating: take the slow path.
_SLOW = object()


class InfoField(NamedTuple):
    """A synchronous resolver that takes the info and scalar arguments only: called directly,
    without strawberry's per-call argument conversion (a scalar argument converts to
    itself)."""

    call: Callable[..., Any]
    field_def: GraphQLField
    strawberry_field: Any
    #: (GraphQL name, Python name) of each argument
    names: tuple[tuple[str, str], ...]
    info_name: str
    #: how its value is completed without graphql-core's dispatch (``read`` unused), if it can be
    completion: Plain | PlainObject | None


_SCALARS = (int, str, bool, float)


def info_field(field_def: GraphQLField) -> InfoField | None:
    from strawberry.types.base import StrawberryOptional

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
    names: list[tuple[str, str]] = []
    for graphql_name, argument in zip(field_def.args, resolver.arguments, strict=True):
        kind = argument.type
        if isinstance(kind, StrawberryOptional):
            kind = kind.of_type
        if kind not in _SCALARS:
            return None
        names.append((graphql_name, argument.python_name))
    return InfoField(
        resolver.wrapped_func,
        field_def,
        strawberry_field,
        tuple(names),
        resolver.info_parameter.name,
        _completion(field_def, _unused_read),
    )


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
        return lambda source: getattr(source, name)
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
        return PlainObject(read, named, non_null, is_list, item_type, field_def.type, is_type_of)
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
        #: per grouped field set: its fields' plans (see ``_plans_of``)
        self._usina_plans: dict[int, Any] = {}
        #: per field node: its coerced arguments (see ``_arguments``)
        self._usina_arguments: dict[int, Any] = {}
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        info_class = strawberry_schema.config.info_class if strawberry_schema else StrawberryInfo
        self._lazy_info_class = _lazy_info_class(info_class)
        self._routes = getattr(self.context_value, "routes", None)

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
        plans = self._plans_of(parent_type, grouped_field_set)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, plain, field_nodes in plans:
                if type(plain) is Plain:
                    read, _, non_null, is_list, same, names = plain
                    try:
                        value = read(source_value)
                    except Exception:
                        value = _SLOW
                    if value is None:
                        if not non_null:
                            results[response_name] = None
                            continue
                    elif value is not _SLOW:
                        # ``_coerce_one``'s shortcuts, inline: a call per leaf measured 3-5%
                        # of the portal query's CPU.
                        kind = type(value)
                        if kind is same and not is_list:  # (a list's ``same`` is its items')
                            if names is not None:  # a member of the field's enum
                                name = names.get(value)
                                if name is not None:
                                    results[response_name] = name
                                    continue
                            elif (
                                kind is str
                                or kind is bool
                                or (kind is float and value - value == 0.0)  # finite
                                or (kind is int and _INT_MIN <= value <= _INT_MAX)
                            ):
                                results[response_name] = value
                                continue
                        completed = _coerce(plain, value)
                        if completed is not _SLOW:
                            results[response_name] = completed
                            continue
                    field_path = Path(path, response_name, parent_type.name)
                    result = self._complete_read(
                        parent_type,
                        source_value,
                        field_details_list,
                        field_path,
                        position_context,
                        value,
                    )
                elif type(plain) is InfoField:
                    result = self._execute_info_field(
                        plain,
                        parent_type,
                        source_value,
                        field_details_list,
                        field_nodes,
                        Path(path, response_name, parent_type.name),
                    )
                elif type(plain) is PlainObject:
                    result = self._complete_plain_object(
                        plain, parent_type, source_value, field_details_list, path, response_name
                    )
                else:
                    field_path = Path(path, response_name, parent_type.name)
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        field_path,
                        position_context,
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    def _plans_of(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Any]:
        """Per grouped field set (memoized by graphql-core for the whole execution): which
        fields are plain, as ``(response name, field details, plan, field nodes)`` (the nodes
        of an info field, else ``None``). Kept alive with the set, so its id is not reused
        meanwhile."""
        cache = self._usina_plans
        cached = cache.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        known: dict[int, Any] = _field_cache(self.schema)
        plans: list[tuple[str, Any, Plain | PlainObject | InfoField | None, Any]] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            plain: Plain | PlainObject | InfoField | None = None
            if field_def is not None and not node.directives:
                entry = known.get(id(field_def))
                if entry is None:
                    fast = plain_field(field_def) or info_field(field_def)
                    entry = known[id(field_def)] = (field_def, fast)
                plain = entry[1]
            nodes = to_nodes(field_details_list) if type(plain) is InfoField else None
            plans.append((response_name, field_details_list, plain, nodes))
        cache[id(grouped_field_set)] = (grouped_field_set, plans)
        return plans

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

    def _execute_info_field(
        self,
        plain: InfoField,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        field_nodes: list[Any],
        path: Path,
    ) -> Any:
        """graphql-core's ``execute_field`` with the resolver called directly."""
        field_def = plain.field_def
        return_type = field_def.type
        info = self._lazy_info(plain, field_nodes, parent_type, path)
        try:
            kwargs: dict[str, Any] = {}
            if plain.names:
                args = self._arguments(field_def, field_nodes[0], field_details_list[0])
                kwargs = {python: args[name] for name, python in plain.names if name in args}
            kwargs[plain.info_name] = info
            value = plain.call(source, **kwargs)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        completion = plain.completion
        if completion is not None and value is not None:
            if type(completion) is PlainObject:
                if not (
                    self.is_awaitable(value)
                    or (completion.is_list and not self._plain_items(value))
                ):
                    return self._complete_objects(completion, field_details_list, path, value)
            elif type(completion) is Plain:
                completed = _coerce(completion, value)
                if completed is not _SLOW:
                    return completed
        return self._complete(return_type, field_details_list, info._raw_info, path, value, None)

    def _lazy_info(
        self, plain: InfoField, field_nodes: list[Any], parent_type: GraphQLObjectType, path: Path
    ) -> Any:
        """The resolver's strawberry ``Info``; graphql-core's resolve info is built only if the
        resolver reads more than ``info.context`` (most read nothing else)."""
        info: Any = object.__new__(self._lazy_info_class)
        values = info.__dict__
        values["_field"] = plain.strawberry_field
        values["_usina_make"] = (self, plain.field_def, field_nodes, parent_type, path)
        if self._routes:  # the context may be another municipality's: see build_resolve_info
            values["_usina_context"] = info._raw_info.context
        else:
            values["_usina_context"] = self.context_value
        return info

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
        field_path = Path(path, response_name, parent_type.name)
        value = _read(plain.read, source)
        if (
            value is _SLOW
            or value is None
            or self.is_awaitable(value)
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
        if self.is_awaitable(completed):
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
        collected = self.collect_subfields(plain.object_type, field_details_list)
        return self._execute_object(plain, field_details_list, collected, path, value)

    def _execute_object(
        self, plain: PlainObject, field_details_list: Any, collected: Any, path: Path, value: Any
    ) -> Any:
        """An object's fields, given its type's subfields (``collect_subfields``)."""
        if plain.is_type_of is not None and not plain.is_type_of(value, None):
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
        collected once."""
        if not items:
            return []
        item_type = plain.item_type
        collected = self.collect_subfields(plain.object_type, field_details_list)
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        for index, item in enumerate(items):
            item_path = path.add_key(index, None)
            try:
                result = self._execute_object(plain, field_details_list, collected, item_path, item)
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                result = None
            else:
                if self.is_awaitable(result):
                    result = self._guarded(result, item_type, field_details_list, item_path)
                    awaitable_indices.append(index)
            completed.append(result)
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


def _build_raw_info(info: Any) -> Any:
    values = info.__dict__
    raw = values.get("_usina_raw")
    if raw is None:
        executor, field_def, field_nodes, parent_type, path = values["_usina_make"]
        raw = values["_usina_raw"] = executor.build_resolve_info(
            field_def, field_nodes, parent_type, path
        )
    return raw


@cache
def _lazy_info_class(info_class: type) -> type:
    """``info_class`` whose ``_raw_info`` (graphql-core's resolve info) is built on first use;
    its ``context`` is known without it."""
    return type(
        f"Lazy{info_class.__name__}",
        (info_class,),
        {
            "_raw_info": property(_build_raw_info),
            "context": property(lambda info: info.__dict__["_usina_context"]),
            "__module__": __name__,
        },
    )


#: Classes whose instances are never awaitable (no ``__await__``, not a coroutine or a
#: generator): an item of one needs no ``is_awaitable`` check.
_NOT_AWAITABLE: set[type] = set()
_MAYBE_AWAITABLE = (CoroutineType, GeneratorType, type(None))


def _read(read: Callable[[Any], Any], source: Any) -> Any:
    try:
        return read(source)
    except Exception:
        return _SLOW


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


def _field_cache(schema: Any) -> dict[int, Any]:
    cache: dict[int, Any] | None = getattr(schema, "_usina_plain_fields", None)
    if cache is None:
        cache = {}
        schema._usina_plain_fields = cache
    return cache
