"""Every hook a Usina plugin can implement.

A plugin is a module (or object) with functions marked ``@hookimpl`` (from ``usina``). Built-in
plugins live in ``plugins/builtin/`` and use these hooks only; third-party plugins are found
through the ``usina.plugins`` entry-point group. Every installed plugin is registered once;
whether it acts for a municipality is decided per municipality (``plugins/activation.py``).

Naming, by what the caller does with the answer:

- ``register_*`` contribute records, collected from every plugin once, when the manager is
  built (names must be unique across plugins: the manager refuses duplicates);
- ``check_*`` are asked before a change and may object to it (any objection refuses it);
- ``compute_*`` answer a question about the municipality's data, inside a transaction;
- ``on_*`` react to events after they are committed (their return value is ignored).

Hooks may be plain or ``async`` functions: the caller awaits results that are awaitable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import pluggy

from core.i18n import Message
from plugins.records import (
    ChannelKindSpec,
    DomainEvent,
    FrameworkSpec,
    GraphQLContribution,
    InstrumentSpec,
    JobSpec,
    Objection,
    PluginInfo,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.plans.models import ActionPlan

hookspec = pluggy.HookspecMarker("usina")


@hookspec(firstresult=True)
def register_plugin() -> PluginInfo:  # type: ignore[empty-body]
    """Describe the plugin: its title and description (English, Spanish and Portuguese),
    version, and the pydantic model of its per-municipality settings.

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
def register_channel_kinds() -> Sequence[ChannelKindSpec]:  # type: ignore[empty-body]
    """Contribute kinds of participation channel (a public consultation, a forum).

    Called once when the manager is built. Channel kind names are unique across plugins. The
    core stores channels, members and contributions; the spec says which contributions
    participants and staff may make and validates a channel's rules.
    """


@hookspec
def register_frameworks() -> Sequence[FrameworkSpec]:  # type: ignore[empty-body]
    """Contribute evaluation frameworks (OGP IRM-style criteria, KPIs).

    Called once when the manager is built. Framework names are unique across plugins. A
    framework lists its criteria per target (plan, commitment) and derives ratings it can
    compute (``derive``); reviewers rate the rest, with a justification.
    """


@hookspec
async def check_plan_transition(  # type: ignore[empty-body]
    session: AsyncSession, plan: ActionPlan, to: str
) -> Sequence[Message | Objection]:
    """Object to an action plan moving to state ``to`` (for example, publishing a plan while
    proposals lack a reasoned response).

    Called, for the plan's municipality's enabled plugins, inside the transaction that moves
    the plan, with the session bound to that municipality. Return the reasons that block the
    move (messages in the three languages, or ``Objection``s naming the records in the way), or
    an empty sequence. Any reason refuses the move with ``CONFLICT``; the records are listed in its
    ``extensions.reasons[].items``.
    """


@hookspec
def register_graphql() -> Sequence[GraphQLContribution]:  # type: ignore[empty-body]
    """Contribute GraphQL types, query fields and mutations.

    Called once when the schema is built. Each contribution's fields are merged into the root
    ``Query``/``Mutation``; for a municipality that has not enabled the plugin they answer
    ``PLUGIN_DISABLED`` without running the resolver. Field names must be unique.
    """


@hookspec
def register_jobs() -> Sequence[JobSpec]:  # type: ignore[empty-body]
    """Contribute kinds of background job (run by the workers, with retries and a time limit).

    A plugin's resolver or ``on_event`` enqueues one with ``usina.enqueue_job``; the worker
    binds the job's municipality before ``run`` sees it. Names must be unique
    (``<plugin>.<job>`` by convention).
    """


@hookspec
def on_event(event: DomainEvent) -> None:
    """React to a domain event of a municipality that has enabled the plugin (for example
    ``action_plan.transition`` or ``progress_report.create``).

    Called after the change is committed, only for plugins the event's municipality has
    enabled. Return value ignored. An exception is logged and does not undo the change.
    """


@hookspec
async def compute_cocreation_checklist(
    session: AsyncSession,
    plan_id: uuid.UUID,
    settings: Mapping[str, Mapping[str, Any]],
    today: date,
) -> tuple[int, int] | None:
    """The plan's co-creation checklist as ``(met, total)``, for the consultancy's portfolio.

    Called inside the transaction of every change of the municipality's content (the unit of
    work keeps its summary current), with the session bound to it and seeing its drafts;
    ``settings`` maps each enabled plugin's name to its settings; ``today`` is a ``date``.
    Return ``None`` if the plugin keeps no checklist. Keep it to a few statements: it runs on
    every write.
    """
