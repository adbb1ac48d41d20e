"""Per-request DataLoaders: one per (model, key), so SQL statements do not grow with lists."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from strawberry.dataloader import DataLoader

from core.actors.models import Actor
from core.audit.models import AuditEvent
from core.commitments.models import Commitment, CommitmentSupporter
from core.diagnostics import service as diagnostics
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.milestones.models import Milestone
from core.participation.models import Contribution
from core.plans.models import ActionPlan
from core.progress import rollup
from core.progress.models import ProgressReport
from graphql_schema.pagination import Page, PageArgs, PageSpec, load_counts, load_pages

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
AUDIT_EVENTS = PageSpec(
    AuditEvent, AuditEvent.tenant_id, (AuditEvent.occurred_at, AuditEvent.id), descending=True
)

PageKey = tuple[uuid.UUID | None, PageArgs]  # None: a root connection
CountKey = tuple[uuid.UUID | None, tuple[tuple[str, tuple[Any, ...]], ...]]


@dataclass
class Loaders:
    ctx: Context
    pages: dict[PageSpec, DataLoader[PageKey, Page]] = field(default_factory=dict)
    counts: dict[PageSpec, DataLoader[CountKey, int]] = field(default_factory=dict)
    by_id: dict[type[Any], DataLoader[uuid.UUID, Any]] = field(default_factory=dict)
    lists: dict[Any, DataLoader[uuid.UUID, list[Any]]] = field(default_factory=dict)
    grouped_counts: dict[Any, DataLoader[uuid.UUID, int]] = field(default_factory=dict)
    commitment_progress: DataLoader[uuid.UUID, float] = field(init=False)
    plan_progress: DataLoader[uuid.UUID, float] = field(init=False)
    supporters: DataLoader[uuid.UUID, list[Actor]] = field(init=False)
    assessment_answers: DataLoader[uuid.UUID, list[AssessmentAnswer]] = field(init=False)

    def __post_init__(self) -> None:
        self.commitment_progress = self._loader(self._mapped(rollup.progress_by_commitment))
        self.plan_progress = self._loader(self._mapped(rollup.progress_by_plan))
        self.supporters = self._loader(self._load_supporters)
        self.assessment_answers = self._loader(self._mapped(diagnostics.answers_of))

    def _loader(self, batch: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
        async def serialized(keys: list[Any]) -> list[Any]:
            async with self.ctx.db_lock:
                return await batch(keys)

        return DataLoader(serialized)

    def _mapped(
        self, fn: Callable[[Any, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, Any]]]
    ) -> Callable[[list[uuid.UUID]], Awaitable[list[Any]]]:
        async def load(keys: list[uuid.UUID]) -> list[Any]:
            found = await fn(self.ctx.session, keys)
            return [found[key] for key in keys]

        return load

    def page(self, spec: PageSpec) -> DataLoader[PageKey, Page]:
        if spec not in self.pages:

            async def load(keys: list[PageKey]) -> list[Page]:
                return await load_pages(self.ctx.session, spec, keys)

            self.pages[spec] = self._loader(load)
        return self.pages[spec]

    def count(self, spec: PageSpec) -> DataLoader[CountKey, int]:
        if spec not in self.counts:

            async def load(keys: list[CountKey]) -> list[int]:
                return await load_counts(self.ctx.session, spec, keys)

            self.counts[spec] = self._loader(load)
        return self.counts[spec]

    def children(
        self, model: type[Any], column: str, order: tuple[str, ...] = ("id",)
    ) -> DataLoader[uuid.UUID, list[Any]]:
        """All rows of ``model`` whose ``column`` is the key, as lists (small child lists)."""
        key = (model, column, order)
        if key not in self.lists:

            async def load(keys: list[uuid.UUID]) -> list[list[Any]]:
                attribute = getattr(model, column)
                rows = await self.ctx.session.execute(
                    select(model)
                    .where(attribute.in_(keys))
                    .order_by(*(getattr(model, o) for o in order))
                )
                grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
                for row in rows.scalars():
                    grouped[getattr(row, column)].append(row)
                return [grouped.get(k, []) for k in keys]

            self.lists[key] = self._loader(load)
        return self.lists[key]

    def counts_by(self, model: type[Any], column: str, **equals: Any) -> DataLoader[uuid.UUID, int]:
        """How many rows of ``model`` per ``column`` value, with optional equality filters."""
        key = (model, column, tuple(sorted(equals.items())))
        if key not in self.grouped_counts:

            async def load(keys: list[uuid.UUID]) -> list[int]:
                attribute = getattr(model, column)
                statement = select(attribute, func.count()).where(attribute.in_(keys))
                for name, value in equals.items():
                    statement = statement.where(getattr(model, name) == value)
                rows = (await self.ctx.session.execute(statement.group_by(attribute))).all()
                found: dict[Any, int] = {row[0]: row[1] for row in rows}
                return [int(found.get(k, 0)) for k in keys]

            self.grouped_counts[key] = self._loader(load)
        return self.grouped_counts[key]

    def get(self, model: type[Any]) -> DataLoader[uuid.UUID, Any]:
        """Rows of ``model`` by id (``None`` where invisible or absent)."""
        if model not in self.by_id:

            async def load(keys: list[uuid.UUID]) -> list[Any]:
                rows = await self.ctx.session.execute(select(model).where(model.id.in_(keys)))
                found = {row.id: row for row in rows.scalars()}
                return [found.get(key) for key in keys]

            self.by_id[model] = self._loader(load)
        return self.by_id[model]

    async def _load_supporters(self, keys: list[uuid.UUID]) -> list[list[Actor]]:
        rows = await self.ctx.session.execute(
            select(CommitmentSupporter.commitment_id, Actor)
            .join(
                Actor,
                (Actor.tenant_id == CommitmentSupporter.tenant_id)
                & (Actor.id == CommitmentSupporter.actor_id),
            )
            .where(CommitmentSupporter.commitment_id.in_(keys))
            .order_by(CommitmentSupporter.position)
        )
        grouped: dict[uuid.UUID, list[Actor]] = defaultdict(list)
        for commitment_id, actor in rows:
            grouped[commitment_id].append(actor)
        return [grouped.get(key, []) for key in keys]
