"""Per-request DataLoaders: one per (model, key), so SQL statements do not grow with lists."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import and_, bindparam, exists, func, select
from strawberry.dataloader import DataLoader

from core.actors.models import Actor
from core.audit.models import AuditEvent
from core.commitments.models import Commitment, CommitmentSupporter
from core.diagnostics import service as diagnostics
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.milestones.models import FINISHED, Milestone
from core.participation.models import Contribution
from core.plans import lifecycle
from core.plans.models import ActionPlan
from core.progress import rollup
from core.progress.models import ProgressReport
from graphql_schema.pagination import (
    Page,
    PageArgs,
    PageSpec,
    load_counts,
    load_pages,
    predicate,
)
from tenants import reads

if TYPE_CHECKING:
    from graphql_schema.context import Context

PLANS = PageSpec(ActionPlan, ActionPlan.tenant_id, (ActionPlan.start_date, ActionPlan.id), True)
COMMITMENTS = PageSpec(Commitment, Commitment.plan_id, (Commitment.code, Commitment.id))
MILESTONES = PageSpec(Milestone, Milestone.commitment_id, (Milestone.start_date, Milestone.id))
REPORTS = PageSpec(
    ProgressReport,
    ProgressReport.milestone_id,
    (ProgressReport.reported_at, ProgressReport.id),
    descending=True,
)
CONTRIBUTIONS = PageSpec(
    Contribution, Contribution.channel_id, (Contribution.created_at, Contribution.id)
)
ACTORS = PageSpec(Actor, Actor.tenant_id, (Actor.name, Actor.id))
ASSESSMENTS = PageSpec(
    Assessment, Assessment.tenant_id, (Assessment.assessed_on, Assessment.id), descending=True
)
#: Delayed milestones of a plan, and of the whole municipality: the most overdue first.
DELAYED_IN_PLAN = PageSpec(Milestone, Milestone.plan_id, (Milestone.end_date, Milestone.id))
DELAYED_IN_MUNICIPALITY = PageSpec(
    Milestone, Milestone.tenant_id, (Milestone.end_date, Milestone.id)
)
#: The filter of both: ``(DELAYED_ON, (today,))``.
DELAYED_ON = "delayed_on"


@predicate(DELAYED_ON)
def _delayed_on(table: Any, today: Any) -> Any:
    """The milestones past their end date and unfinished on ``today``, in plans being
    implemented (a draft is not monitored yet, a closed plan no longer)."""
    plans = ActionPlan.__table__
    return and_(
        table.c.end_date < today,
        table.c.status.not_in(list(FINISHED)),
        exists().where(
            plans.c.tenant_id == table.c.tenant_id,
            plans.c.id == table.c.plan_id,
            plans.c.status.in_(list(lifecycle.REPORTING)),
        ),
    )


AUDIT_EVENTS = PageSpec(
    AuditEvent, AuditEvent.tenant_id, (AuditEvent.occurred_at, AuditEvent.id), descending=True
)

PageKey = tuple[uuid.UUID | None, PageArgs]  # None: a root connection
CountKey = tuple[uuid.UUID | None, tuple[tuple[str, tuple[Any, ...]], ...]]


K = TypeVar("K")
V = TypeVar("V")
#: what ``Loader.ready`` answers for a key that is not loaded yet
MISSING: Any = object()


class Loader(DataLoader[K, V]):
    """strawberry's ``DataLoader``, whose primed values are kept as values.

    The stock one wraps every primed value in a ``Future`` (about 150 per portal query, most of
    them primed by look-ahead and read synchronously through ``ready``, never awaited). Here a
    primed value becomes a future only if something ``load``s it."""

    def __init__(self, load_fn: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        super().__init__(load_fn)
        self.values: dict[K, V] = {}
        self._futures: dict[Any, Any] = self.cache_map.cache_map  # type: ignore[attr-defined]

    def ready(self, key: K) -> V:
        """The value of ``key`` if it is already loaded, else ``MISSING``."""
        value = self.values.get(key, MISSING)
        if value is not MISSING:
            return value
        future = self._futures.get(key)
        if future is None or not future.done() or future.cancelled() or future.exception():
            return MISSING
        return future.result()

    def asked(self, key: K) -> bool:
        """Whether ``key`` is loaded or being loaded."""
        return key in self.values or self._futures.get(key) is not None

    def load(self, key: K) -> Awaitable[V]:
        value = self.values.get(key, MISSING)
        if value is MISSING:
            return super().load(key)
        future = self.loop.create_future()
        future.set_result(value)
        return future

    def prime_many(self, data: Mapping[K, V], force: bool = False) -> None:
        if self.batch is not None and not self.batch.dispatched:
            super().prime_many(data, force)  # keys may wait in the batch: strawberry's way
            return
        values, futures = self.values, self._futures
        for key, value in data.items():
            if force:
                futures.pop(key, None)
                values[key] = value
            elif key not in values and not futures.get(key):
                values[key] = value

    def clear(self, key: K) -> None:
        self.values.pop(key, None)
        self._futures.pop(key, None)

    def clear_many(self, keys: Iterable[K]) -> None:
        for key in keys:
            self.clear(key)

    def clear_all(self) -> None:
        self.values.clear()
        super().clear_all()


@dataclass
class Loaders:
    ctx: Context
    pages: dict[PageSpec, Loader[PageKey, Page]] = field(default_factory=dict)
    counts: dict[PageSpec, Loader[CountKey, int]] = field(default_factory=dict)
    by_id: dict[type[Any], Loader[uuid.UUID, Any]] = field(default_factory=dict)
    lists: dict[Any, Loader[uuid.UUID, list[Any]]] = field(default_factory=dict)
    grouped_counts: dict[Any, Loader[uuid.UUID, int]] = field(default_factory=dict)
    commitment_progress: Loader[uuid.UUID, float] = field(init=False)
    plan_progress: Loader[uuid.UUID, float] = field(init=False)
    supporters: Loader[uuid.UUID, list[Actor]] = field(init=False)
    assessment_answers: Loader[uuid.UUID, list[AssessmentAnswer]] = field(init=False)

    def __post_init__(self) -> None:
        self.commitment_progress = self._loader(self._load_commitment_progress)
        self.plan_progress = self._loader(self._load_plan_progress)
        self.supporters = self._loader(self._load_supporters)
        self.assessment_answers = self._loader(self._mapped(diagnostics.answers_of))

    def release(self) -> None:
        """Forget everything loaded. The loaders and their batch functions refer to each other
        (a cycle that only the cyclic GC frees); emptied when the request ends, what they hold
        (pages, rows, keys, futures: about 1,700 objects for the portal query) is freed at once,
        not by a collection that scans and frees a few dozen requests' worth together.
        Anything asked afterwards is loaded again."""
        for loaders in (self.pages, self.counts, self.by_id, self.lists, self.grouped_counts):
            for loader in loaders.values():
                loader.clear_all()
            loaders.clear()
        for loader in (
            self.commitment_progress,
            self.plan_progress,
            self.supporters,
            self.assessment_answers,
        ):
            loader.clear_all()

    def _loader(self, batch: Callable[[list[Any]], Awaitable[list[Any]]]) -> Loader[Any, Any]:
        async def serialized(keys: list[Any]) -> list[Any]:
            return await self.ctx.exclusive(lambda: batch(keys))

        return Loader(serialized)

    def _mapped(
        self, fn: Callable[[Any, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, Any]]]
    ) -> Callable[[list[uuid.UUID]], Awaitable[list[Any]]]:
        async def load(keys: list[uuid.UUID]) -> list[Any]:
            found = await fn(self.ctx.session, keys)
            return [found[key] for key in keys]

        return load

    def page(self, spec: PageSpec) -> Loader[PageKey, Page]:
        if spec not in self.pages:

            async def load(keys: list[PageKey]) -> list[Page]:
                pages = await load_pages(self.ctx.session, spec, keys)
                if spec.parent is not None:  # the totals came with the pages: no count query
                    counts = self.count(spec)
                    for (parent_id, args), page in zip(keys, pages, strict=True):
                        if page.total is not None:
                            counts.prime((parent_id, args.filters), page.total)
                return pages

            self.pages[spec] = self._loader(load)
        return self.pages[spec]

    def count(self, spec: PageSpec) -> Loader[CountKey, int]:
        if spec not in self.counts:

            async def load(keys: list[CountKey]) -> list[int]:
                return await load_counts(self.ctx.session, spec, keys)

            self.counts[spec] = self._loader(load)
        return self.counts[spec]

    @property
    def shape(self) -> reads.Shape:
        return reads.shape_of(reads.binding_of(self.ctx.session))

    async def _fetch(self, statement: Any, **params: Any) -> Sequence[Any]:
        return await reads.fetch(self.ctx.session, statement, params)

    def children(
        self, model: type[Any], column: str, order: tuple[str, ...] = ("id",)
    ) -> Loader[uuid.UUID, list[Any]]:
        """All rows of ``model`` whose ``column`` is the key, as lists (small child lists)."""
        key = (model, column, order)
        if key not in self.lists:

            async def load(keys: list[uuid.UUID]) -> list[list[Any]]:
                statement = _children_statement(model, column, order, self.shape)  # type: ignore[arg-type]
                grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
                for row in await self._fetch(statement, keys=list(dict.fromkeys(keys))):
                    grouped[getattr(row, column)].append(row)
                return [grouped.get(k, []) for k in keys]

            self.lists[key] = self._loader(load)
        return self.lists[key]

    def counts_by(self, model: type[Any], column: str, **equals: Any) -> Loader[uuid.UUID, int]:
        """How many rows of ``model`` per ``column`` value, with optional equality filters."""
        key = (model, column, tuple(sorted(equals.items())))
        if key not in self.grouped_counts:
            names = tuple(sorted(equals))

            async def load(keys: list[uuid.UUID]) -> list[int]:
                statement = _counts_statement(model, column, names, self.shape)  # type: ignore[arg-type]
                params = {f"equals_{name}": equals[name] for name in names}
                rows = await self._fetch(statement, keys=list(dict.fromkeys(keys)), **params)
                found: dict[Any, int] = {row[0]: row[1] for row in rows}
                return [int(found.get(k, 0)) for k in keys]

            self.grouped_counts[key] = self._loader(load)
        return self.grouped_counts[key]

    def get(self, model: type[Any]) -> Loader[uuid.UUID, Any]:
        """Rows of ``model`` by id (``None`` where invisible or absent)."""
        if model not in self.by_id:

            async def load(keys: list[uuid.UUID]) -> list[Any]:
                statement = _by_id_statement(model, self.shape)  # type: ignore[arg-type]
                rows = await self._fetch(statement, keys=list(dict.fromkeys(keys)))
                found = {row.id: row for row in rows}
                return [found.get(key) for key in keys]

            self.by_id[model] = self._loader(load)
        return self.by_id[model]

    async def _load_supporters(self, keys: list[uuid.UUID]) -> list[list[Any]]:
        statement = _supporters_statement(self.shape)
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await self._fetch(statement, keys=list(dict.fromkeys(keys))):
            grouped[row._commitment_id].append(row)
        return [grouped.get(key, []) for key in keys]

    async def _load_commitment_progress(self, keys: list[uuid.UUID]) -> list[float]:
        rows = await self._fetch(_commitment_figures(self.shape), keys=list(dict.fromkeys(keys)))
        found = rollup.commitments_progress(rows, keys)
        return [found[key] for key in keys]

    async def _load_plan_progress(self, keys: list[uuid.UUID]) -> list[float]:
        rows = await self._fetch(_plan_figures(self.shape), keys=list(dict.fromkeys(keys)))
        figures = rollup.plans_figures(rows, keys)
        # The same rows give each of their commitments' progress (the same visible
        # milestones): a query that asks for both needs no second statement.
        self.commitment_progress.prime_many(figures.commitments)
        return [figures.plans[key] for key in keys]


# The loaders' statements, built once per shape (tenants/reads.py).


def _table(model: type[Any]) -> Any:
    return model.__table__


@cache
def _children_statement(
    model: type[Any], column: str, order: tuple[str, ...], shape: reads.Shape
) -> Any:
    table = _table(model)
    return (
        select(table)
        .where(*reads.visible(model, table.c, shape))
        .where(table.c[column].in_(bindparam("keys", expanding=True)))
        .order_by(*(table.c[o] for o in order))
    )


@cache
def _counts_statement(
    model: type[Any], column: str, equals: tuple[str, ...], shape: reads.Shape
) -> Any:
    table = _table(model)
    statement = (
        select(table.c[column], func.count())
        .where(*reads.visible(model, table.c, shape))
        .where(table.c[column].in_(bindparam("keys", expanding=True)))
    )
    for name in equals:
        statement = statement.where(table.c[name] == bindparam(f"equals_{name}"))
    return statement.group_by(table.c[column])


@cache
def _by_id_statement(model: type[Any], shape: reads.Shape) -> Any:
    table = _table(model)
    return (
        select(table)
        .where(*reads.visible(model, table.c, shape))
        .where(table.c.id.in_(bindparam("keys", expanding=True)))
    )


@cache
def _supporters_statement(shape: reads.Shape) -> Any:
    links, actors = _table(CommitmentSupporter), _table(Actor)
    return (
        select(links.c.commitment_id.label("_commitment_id"), actors)
        .join(actors, (actors.c.tenant_id == links.c.tenant_id) & (actors.c.id == links.c.actor_id))
        .where(*reads.visible(CommitmentSupporter, links.c, shape))
        .where(*reads.visible(Actor, actors.c, shape))
        .where(links.c.commitment_id.in_(bindparam("keys", expanding=True)))
        .order_by(links.c.position)
    )


@cache
def _commitment_figures(shape: reads.Shape) -> Any:
    milestones = _table(Milestone)
    return (
        select(
            milestones.c.commitment_id,
            milestones.c.weight,
            milestones.c.progress,
            milestones.c.status,
        )
        .where(*reads.visible(Milestone, milestones.c, shape))
        .where(milestones.c.commitment_id.in_(bindparam("keys", expanding=True)))
    )


@cache
def _plan_figures(shape: reads.Shape) -> Any:
    commitments, milestones = _table(Commitment), _table(Milestone)
    return rollup.summed_figures(
        commitments.c,
        milestones.c,
        bindparam("keys", expanding=True),
        commitment_criteria=reads.visible(Commitment, commitments.c, shape),
        milestone_criteria=reads.visible(Milestone, milestones.c, shape),
    )
