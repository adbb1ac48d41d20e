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

from core.audit.actions import ACTIONS
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

    def measuring_frameworks(self) -> frozenset[str]:
        """The frameworks that measure (KPIs) rather than rate: their records are no
        evaluations."""
        return frozenset(name for name, (_, spec) in self.frameworks.items() if spec.measures)

    def events(self) -> list[str]:
        """Every event name a webhook can subscribe to: core's audit actions and the
        plugins' own, sorted."""
        return sorted(ACTIONS | {e for info in self.infos.values() for e in info.events})


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
    """The plugin's own description, read once before registering it, to register it under
    its name (after that, every hook is called through pluggy)."""
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


def _per_plugin(pm: pluggy.PluginManager, hook: str) -> list[tuple[str, Any]]:
    """``(plugin name, answer)`` of each plugin implementing ``hook``, each called through
    pluggy (a subset hook caller holding that one plugin and every wrapper), so wrappers,
    ordering and tracing apply as for every other hook call. Startup only."""
    caller = getattr(pm.hook, hook)
    first_result = bool(caller.spec and caller.spec.opts.get("firstresult"))
    answering = [i for i in caller.get_hookimpls() if not (i.wrapper or i.hookwrapper)]
    out: list[tuple[str, Any]] = []
    for impl in answering:
        others = [i.plugin for i in answering if i.plugin_name != impl.plugin_name]
        answer = pm.subset_hook_caller(hook, remove_plugins=others)()
        for one in [answer] if first_result else answer:
            out.append((impl.plugin_name, one))
    return out


def _collect(pm: pluggy.PluginManager) -> PluginRegistry:
    registry = PluginRegistry(pm=pm)
    for pluggy_name, info in _per_plugin(pm, "register_plugin"):
        if not isinstance(info, PluginInfo):
            raise PluginError(f"{pluggy_name!r} does not describe itself (register_plugin)")
        if info.name != pluggy_name:  # an entry point named differently from its plugin
            raise PluginError(f"entry point {pluggy_name!r} describes itself as {info.name!r}")
        unlisted = set(info.recompute_after) - set(info.events)
        if unlisted:
            raise PluginError(f"{info.name!r} recomputes after events it does not list: {unlisted}")
        registry.infos[info.name] = info
    _collect_named(pm, "register_instruments", InstrumentSpec, registry.instruments)
    _collect_named(pm, "register_channel_kinds", ChannelKindSpec, registry.channel_kinds)
    _collect_named(pm, "register_frameworks", FrameworkSpec, registry.frameworks)
    _collect_named(pm, "register_jobs", JobSpec, registry.jobs)
    names: set[str] = set()
    for plugin_name, contributions in _per_plugin(pm, "register_graphql"):
        for contribution in cast(Iterable[GraphQLContribution], contributions or ()):
            if contribution.name in names:
                raise PluginError(f"two GraphQL contributions are named {contribution.name!r}")
            names.add(contribution.name)
            registry.graphql.append((plugin_name, contribution))
    return registry


def _collect_named(
    pm: pluggy.PluginManager, hook: str, kind: type, into: dict[str, tuple[str, Any]]
) -> None:
    for plugin_name, records in _per_plugin(pm, hook):
        for record in cast(Iterable[Any], records or ()):
            if not isinstance(record, kind):
                raise PluginError(f"{plugin_name} returned {record!r} from {hook}")
            name: str = getattr(record, "name")  # noqa: B009  (every record kind has one)
            if name in into:
                raise PluginError(f"two plugins contribute {kind.__name__} {name!r}")
            into[name] = (plugin_name, record)
