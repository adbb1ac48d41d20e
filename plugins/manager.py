"""Building the plugin manager: the hook specs, the built-ins, entry points, then checks.

``make_plugin_manager()`` is a factory, not a module global, so every test builds a fresh one.
It collects what plugins contribute into a :class:`PluginRegistry` and refuses duplicates.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, cast

import pluggy

from plugins import hookspecs
from plugins.records import (
    ChannelKindSpec,
    FrameworkSpec,
    GraphQLContribution,
    InstrumentSpec,
    JobSpec,
    PluginInfo,
)

ENTRY_POINT_GROUP = "usina.plugins"
BUILTINS: tuple[str, ...] = (
    "plugins.builtin.transparency_index",
    "plugins.builtin.maturity_model",
    "plugins.builtin.consultation",
    "plugins.builtin.forum",
    "plugins.builtin.ogp_irm",
    "plugins.builtin.kpi",
)


class PluginError(Exception):
    """A plugin is malformed or clashes with another (raised at startup, never per request)."""


@dataclass(eq=False)  # hashed by identity: hook callers are cached per registry
class PluginRegistry:
    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)
    #: instrument name -> (plugin name, spec)
    instruments: dict[str, tuple[str, InstrumentSpec]] = field(default_factory=dict)
    graphql: list[tuple[str, GraphQLContribution]] = field(default_factory=list)
    channel_kinds: dict[str, tuple[str, ChannelKindSpec]] = field(default_factory=dict)
    frameworks: dict[str, tuple[str, FrameworkSpec]] = field(default_factory=dict)
    jobs: dict[str, tuple[str, JobSpec]] = field(default_factory=dict)

    def info(self, name: str) -> PluginInfo | None:
        return self.infos.get(name)

    def instrument(self, name: str) -> tuple[str, InstrumentSpec] | None:
        return self.instruments.get(name)

    def channel_kind(self, name: str) -> tuple[str, ChannelKindSpec] | None:
        return self.channel_kinds.get(name)

    def framework(self, name: str) -> tuple[str, FrameworkSpec] | None:
        return self.frameworks.get(name)

    def plugin_object(self, name: str) -> Any:
        return self.pm.get_plugin(name)


def make_plugin_manager(
    *,
    builtins: Iterable[str] = BUILTINS,
    entrypoints: bool = True,
    extra: Iterable[ModuleType | object] = (),
) -> PluginRegistry:
    pm = pluggy.PluginManager("usina")
    pm.add_hookspecs(hookspecs)
    for dotted in builtins:
        _register(pm, importlib.import_module(dotted))
    for plugin in extra:
        _register(pm, plugin)
    if entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.check_pending()
    return _collect(pm)


def _info_of(plugin: object) -> PluginInfo:
    register = getattr(plugin, "register_plugin", None)
    info = register() if callable(register) else None
    if not isinstance(info, PluginInfo):
        raise PluginError(f"{plugin!r} does not describe itself (register_plugin)")
    return info


def _register(pm: pluggy.PluginManager, plugin: object) -> None:
    name = _info_of(plugin).name
    if pm.get_plugin(name) is not None:
        raise PluginError(f"two plugins are named {name!r}")
    pm.register(plugin, name=name)


def _collect(pm: pluggy.PluginManager) -> PluginRegistry:
    registry = PluginRegistry(pm=pm)
    for pluggy_name, plugin in pm.list_name_plugin():
        info = _info_of(plugin)
        if info.name != pluggy_name:  # an entry point named differently from its plugin
            raise PluginError(f"entry point {pluggy_name!r} describes itself as {info.name!r}")
        registry.infos[info.name] = info
    for impl in pm.hook.register_instruments.get_hookimpls():
        specs = cast(Iterable[InstrumentSpec], impl.function() or ())
        for spec in specs:
            if not isinstance(spec, InstrumentSpec):
                raise PluginError(f"{impl.plugin_name} returned {spec!r} as an instrument")
            if spec.name in registry.instruments:
                raise PluginError(f"two plugins contribute the instrument {spec.name!r}")
            registry.instruments[spec.name] = (impl.plugin_name, spec)
    _collect_named(pm, "register_channel_kinds", ChannelKindSpec, registry.channel_kinds)
    _collect_named(pm, "register_frameworks", FrameworkSpec, registry.frameworks)
    _collect_named(pm, "register_jobs", JobSpec, registry.jobs)
    names: set[str] = set()
    for impl in pm.hook.register_graphql.get_hookimpls():
        contributions = cast(Iterable[GraphQLContribution], impl.function() or ())
        for contribution in contributions:
            if contribution.name in names:
                raise PluginError(f"two GraphQL contributions are named {contribution.name!r}")
            names.add(contribution.name)
            registry.graphql.append((impl.plugin_name, contribution))
    return registry


def _collect_named(
    pm: pluggy.PluginManager, hook: str, kind: type, into: dict[str, tuple[str, Any]]
) -> None:
    for impl in getattr(pm.hook, hook).get_hookimpls():
        for record in cast(Iterable[Any], impl.function() or ()):
            if not isinstance(record, kind):
                raise PluginError(f"{impl.plugin_name} returned {record!r} from {hook}")
            name: str = getattr(record, "name")  # noqa: B009  (every record kind has one)
            if name in into:
                raise PluginError(f"two plugins contribute {kind.__name__} {name!r}")
            into[name] = (impl.plugin_name, record)
