"""Every hook a Usina plugin can implement.

A plugin is a module (or object) with functions marked ``@hookimpl`` (from ``usina``). Built-in
plugins live in ``plugins/builtin/`` and use these hooks only; third-party plugins are found
through the ``usina.plugins`` entry-point group. Every installed plugin is registered once;
whether it acts for a municipality is decided per municipality (``plugins/activation.py``).

Naming: ``register_*`` hooks contribute records collected from every plugin (names must be
unique across plugins: the manager refuses duplicates); ``on_*`` hooks react to events. Hooks
may be plain or ``async`` functions: the caller awaits results that are awaitable.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from plugins.records import DomainEvent, GraphQLContribution, InstrumentSpec, PluginInfo

hookspec = pluggy.HookspecMarker("usina")


@hookspec(firstresult=True)
def register_plugin() -> PluginInfo:  # type: ignore[empty-body]
    """Describe the plugin: its title and description (Spanish and English), version, and
    the pydantic model of its per-municipality settings.

    Called once per plugin when the manager is built. Every plugin must implement it; stops
    at the first non-None result, so a plugin object answers for itself only.
    """


@hookspec
def register_instruments() -> Sequence[InstrumentSpec]:  # type: ignore[empty-body]
    """Contribute diagnostic instruments (an index, a maturity model, a questionnaire).

    Called once when the manager is built. Return the instruments' specs (versioned data plus a
    scoring function). Instrument names are unique across plugins.
    """


@hookspec
def register_graphql() -> Sequence[GraphQLContribution]:  # type: ignore[empty-body]
    """Contribute GraphQL types, query fields and mutations.

    Called once when the schema is built. Each contribution's fields are merged into the root
    ``Query``/``Mutation``; for a municipality that has not enabled the plugin they answer
    ``PLUGIN_DISABLED`` without running the resolver. Field names must be unique.
    """


@hookspec
def on_event(event: DomainEvent) -> None:
    """React to a domain event of a municipality that has enabled the plugin (for example
    ``action_plan.transition`` or ``progress_report.create``).

    Called after the change is committed, only for plugins the event's municipality has
    enabled. Return value ignored. An exception is logged and does not undo the change.
    """
