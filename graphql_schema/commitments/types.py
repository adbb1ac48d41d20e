from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.actors.models import Actor as ActorRow
from core.commitments.models import Commitment as CommitmentRow
from core.enums import CompletionLevel, OgpValue
from core.progress import rollup
from graphql_schema.actors.types import Actor
from graphql_schema.connections import nested_connection
from graphql_schema.context import Info
from graphql_schema.loaders import MILESTONES
from graphql_schema.milestones.types import Milestone
from graphql_schema.plans.versions import FieldChange, pending_changes
from graphql_schema.prefetch import now_or_later, now_or_then
from graphql_schema.relay import Connection, Node
from graphql_schema.rows import from_row, from_rows

if TYPE_CHECKING:
    from graphql_schema.evaluation.types import Evaluation
    from graphql_schema.participation.types import Contribution
    from graphql_schema.plans.types import ActionPlan
    from graphql_schema.traceability import CommitmentGap


@strawberry.type(description="A commitment of an action plan, following the OGP template.")
class Commitment(Node):
    row: strawberry.Private[CommitmentRow]
    code: str = strawberry.field(description="Unique within its plan, e.g. '1' or 'C-03'.")
    title: str
    problem: str = strawberry.field(description="The public problem it addresses.")
    status_quo: str
    objective: str
    contribution: str = strawberry.field(description="How it contributes to solving the problem.")
    start_date: date
    end_date: date
    tags: list[str]

    @strawberry.field(
        description="False for a commitment added to a published plan, until the plan's "
        "changes are published (the public does not see it until then)."
    )
    def published(self) -> bool:
        return bool(self.row.public)

    @strawberry.field(
        description="Changes waiting for the plan's next published version (for those who "
        "read drafts; empty for everyone else)."
    )
    def pending_changes(self, info: Info) -> list[FieldChange]:
        return pending_changes(info, self.row)

    @strawberry.field(description="Relevance to OGP values.")
    def ogp_values(self) -> list[OgpValue]:
        return [OgpValue(value) for value in self.row.ogp_values]

    @strawberry.field
    def lead_agency(self, info: Info) -> Actor | None:
        if self.row.lead_agency_id is None:
            return None
        return now_or_then(
            info.context.loaders.get(ActorRow),
            self.row.lead_agency_id,
            lambda row: from_row(Actor, row) if row is not None else None,
        )

    @strawberry.field
    async def supporting_actors(self, info: Info) -> list[Actor]:
        return from_rows(Actor, await info.context.loaders.supporters.load(self.row.id))

    @strawberry.field(description="Weighted mean of its milestones' progress, 0..100.")
    def progress(self, info: Info) -> float:
        return now_or_later(info.context.loaders.commitment_progress, self.row.id)

    @strawberry.field(description="IRM completion level derived from progress (docs/progress.md).")
    def completion_level(self, info: Info) -> CompletionLevel:
        return now_or_then(
            info.context.loaders.commitment_progress, self.row.id, rollup.completion_level
        )

    @strawberry.field
    def milestones(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Milestone]:
        return nested_connection(info, MILESTONES, Milestone, self.row.id, first, after)

    @strawberry.field(description="The diagnostic gaps this commitment addresses (traceability).")
    async def addresses_gaps(
        self, info: Info
    ) -> list[Annotated[CommitmentGap, strawberry.lazy("graphql_schema.traceability")]]:
        from graphql_schema.traceability import gaps_of

        return await gaps_of(info, self.row.id)

    @strawberry.field(description="The contributions (accepted proposals) it takes up.")
    async def takes_up(
        self, info: Info
    ) -> list[Annotated[Contribution, strawberry.lazy("graphql_schema.participation.types")]]:
        from core.commitments.links import CommitmentContribution
        from core.participation.models import Contribution as ContributionRow
        from graphql_schema.participation.types import Contribution

        links = await info.context.loaders.children(CommitmentContribution, "commitment_id").load(
            self.row.id
        )
        rows = await info.context.loaders.get(ContributionRow).load_many(
            [link.contribution_id for link in links]
        )
        return from_rows(Contribution, [r for r in rows if r is not None])

    @strawberry.field
    async def evaluations(
        self, info: Info
    ) -> list[Annotated[Evaluation, strawberry.lazy("graphql_schema.evaluation.types")]]:
        from core.evaluation.models import Evaluation as EvaluationRow
        from graphql_schema.evaluation.types import Evaluation

        rows = await info.context.loaders.children(EvaluationRow, "commitment_id").load(self.row.id)
        measuring = info.context.plugins.measuring_frameworks()  # KPIs are no evaluations
        return from_rows(Evaluation, [r for r in rows if r.framework not in measuring])

    @strawberry.field
    async def action_plan(
        self, info: Info
    ) -> Annotated[ActionPlan, strawberry.lazy("graphql_schema.plans.types")]:
        from core.plans.models import ActionPlan as PlanRow
        from graphql_schema.plans.types import ActionPlan

        row = await info.context.loaders.get(PlanRow).load(self.row.plan_id)
        return from_row(ActionPlan, row)
