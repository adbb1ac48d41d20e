"""What plugins contribute: frozen records with unique names, returned by ``register_*`` hooks.

The core owns the generic storage (an assessment and its answers, ...); a plugin owns the
definition and the behaviour (an instrument's dimensions, indicators and scoring).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from core.i18n import Message


@dataclass(frozen=True)
class PluginInfo:
    """A plugin's identity card. ``settings`` is the pydantic model its per-municipality
    settings must satisfy (``None``: no settings). ``events``: the audit actions the plugin
    records (``kpi.record``), which webhooks may subscribe to; ``recompute_after``: those of
    them that move what evaluations derive (the plan's derived ratings are recomputed after
    them, as after a progress report)."""

    name: str
    title: Message
    description: Message
    version: str
    settings: type[BaseModel] | None = None
    events: tuple[str, ...] = ()
    recompute_after: tuple[str, ...] = ()


# --- Diagnostic instruments ---------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOption:
    """One answer an indicator accepts, and the fraction of the indicator it fulfils (0..1)."""

    code: str
    label: Message
    value: float


@dataclass(frozen=True)
class Indicator:
    code: str
    title: Message
    guidance: Message
    weight: float = 1.0


@dataclass(frozen=True)
class Dimension:
    code: str
    title: Message
    indicators: tuple[Indicator, ...]
    weight: float = 1.0
    description: Message | None = None


@dataclass(frozen=True)
class Rating:
    """A named result an instrument may derive besides its scores (e.g. a maturity level)."""

    code: str
    label: Message


@dataclass(frozen=True)
class Scores:
    """An assessment's result: 0..100 per dimension and overall (``None``: not computable,
    e.g. every weight is zero), and an optional rating."""

    overall: float | None
    dimensions: Mapping[str, float | None]
    rating: Rating | None = None


#: answers maps indicator code -> answer code (unanswered indicators are absent).
Scorer = Callable[["InstrumentSpec", Mapping[str, str]], Scores]


@dataclass(frozen=True)
class InstrumentSpec:
    """A diagnostic instrument: versioned data (dimensions, indicators, answers) and scoring.

    ``gap_below``: an indicator whose answer fulfils less than this fraction (or that is
    unanswered) is a gap a commitment can address.
    """

    name: str
    version: str
    title: Message
    description: Message
    answers: tuple[AnswerOption, ...]
    dimensions: tuple[Dimension, ...]
    score: Scorer
    gap_below: float = 1.0
    source: Message | None = None

    def answer(self, code: str) -> AnswerOption | None:
        return next((a for a in self.answers if a.code == code), None)

    def indicator(self, code: str) -> Indicator | None:
        return self.indicators_by_code.get(code)

    def is_gap(self, code: str, answer: str | None) -> bool | None:
        """Whether indicator ``code``, answered ``answer`` (``None``: not answered), is a gap;
        ``None`` when the instrument has no such indicator."""
        if self.indicator(code) is None:
            return None
        option = self.answer(answer) if answer is not None else None
        return option is None or option.value < self.gap_below

    @property
    def indicators_by_code(self) -> dict[str, Indicator]:
        return {i.code: i for d in self.dimensions for i in d.indicators}

    def dimension_of(self, indicator_code: str) -> Dimension | None:
        return next(
            (d for d in self.dimensions if any(i.code == indicator_code for i in d.indicators)),
            None,
        )


# --- GraphQL contributions ----------------------------------------------------------------


@dataclass(frozen=True)
class GraphQLContribution:
    """Strawberry types a plugin adds: ``query`` and ``mutation`` are strawberry types whose
    fields are merged into the root types; every field answers ``PLUGIN_DISABLED`` for a
    municipality that has not enabled the plugin. ``types`` are extra types to register."""

    name: str
    query: type | None = None
    mutation: type | None = None
    types: tuple[type, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened in a municipality, passed to ``on_event`` hooks after commit."""

    kind: str
    tenant_id: Any
    entity_id: Any
    data: Mapping[str, Any] = field(default_factory=dict)


# --- Background jobs ------------------------------------------------------------------------


@dataclass(frozen=True)
class JobContext:
    """What a job's body gets: a session bound to the job's municipality (it commits with the
    job's success, or not at all), the job's arguments, and the municipality."""

    session: Any
    args: Mapping[str, Any]
    municipality: Any
    settings: Any
    job_id: Any
    attempt: int = 1
    max_attempts: int = 1

    def uuid_arg(self, key: str) -> uuid.UUID | None:
        """The argument ``key`` as a UUID (``None`` when absent or empty)."""
        value = self.args.get(key)
        return uuid.UUID(str(value)) if value else None


@dataclass(frozen=True)
class JobSpec:
    """A kind of background job. ``run`` is ``async (JobContext) -> dict | None`` (the result
    shown on the job). Delivery is at least once: ``run`` must be idempotent, which it is when
    its effects are database writes (they commit with the job's success, atomically)."""

    name: str
    run: Callable[[JobContext], Awaitable[Mapping[str, Any] | None]]
    max_attempts: int = 3
    time_limit_seconds: float = 300.0
    min_backoff_seconds: float = 5.0
    max_backoff_seconds: float = 300.0
    #: Called after a failed attempt (in its own transaction; ``final`` when no attempt is
    #: left), to record the failure where it matters (a delivery, an endpoint).
    on_failure: Callable[[JobContext, BaseException, bool], Awaitable[None]] | None = None


# --- Participation channels ---------------------------------------------------------------


@dataclass(frozen=True)
class ChannelKindSpec:
    """A kind of participation channel. ``participant_kinds``: what signed-in people may
    contribute (while the channel is open); ``staff_kinds``: what only staff record (any time);
    ``rules``: the pydantic model of a channel's rules, validated when it opens."""

    name: str
    title: Message
    description: Message
    participant_kinds: frozenset[str] = frozenset()
    staff_kinds: frozenset[str] = frozenset()
    rules: type[BaseModel] | None = None
    has_members: bool = False


# --- Evaluation frameworks ----------------------------------------------------------------


@dataclass(frozen=True)
class ObjectionItem:
    """A record an objection is about: its node type (``Contribution``, ``Channel``), id and
    title, named in the refusal so a client can link to each."""

    type: str
    id: uuid.UUID
    title: str


@dataclass(frozen=True)
class Objection:
    """A reason to refuse a plan's transition (``check_plan_transition``), with the records
    that stand in the way. A bare ``Message`` is an objection without records."""

    message: Message
    items: tuple[ObjectionItem, ...] = ()


@dataclass(frozen=True)
class ScaleOption:
    code: str
    label: Message


@dataclass(frozen=True)
class Criterion:
    """``derived``: the framework computes it (from data or other ratings); a reviewer may
    override a derived rating only with a justification."""

    code: str
    title: Message
    scale: tuple[ScaleOption, ...]
    derived: bool = False
    description: Message | None = None

    def option(self, code: str) -> ScaleOption | None:
        return next((o for o in self.scale if o.code == code), None)


@dataclass(frozen=True)
class DerivationInput:
    """What a framework's ``derive`` receives: the target's figures and the ratings so far."""

    target: str  # "PLAN" or "COMMITMENT"
    progress: float | None
    completion_level: str | None
    ratings: Mapping[str, str | None]


#: Returns criterion code -> derived value (None: cannot be derived yet).
Deriver = Callable[[DerivationInput], Mapping[str, str | None]]


@dataclass(frozen=True)
class FrameworkSpec:
    name: str
    version: str
    title: Message
    description: Message
    #: target ("PLAN" / "COMMITMENT") -> its criteria
    criteria: Mapping[str, tuple[Criterion, ...]]
    derive: Deriver
    #: True: the framework keeps measured values (KPIs: baseline, target, measurements), not
    #: reviewers' ratings. Its records are no evaluations: they are left out of
    #: ``evaluations`` and of exports' ``ratings`` (exports list them as ``indicators``).
    measures: bool = False

    def criterion(self, target: str, code: str) -> Criterion | None:
        return next((c for c in self.criteria.get(target, ()) if c.code == code), None)
