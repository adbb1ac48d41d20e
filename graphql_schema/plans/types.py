from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.enums import ActionPlanStatus, CompletionLevel, OgpValue
from core.plans import lifecycle
from core.plans.models import ActionPlan as PlanRow
from graphql_schema.commitments.filters import CommitmentFilter, filtered_commitments
from graphql_schema.commitments.types import Commitment
from graphql_schema.connections import connection, nested_connection
from graphql_schema.context import Info
from graphql_schema.jobs.types import OpenDataFile, open_data_files
from graphql_schema.loaders import COMMITMENTS, DELAYED_IN_PLAN, DELAYED_ON
from graphql_schema.milestones.types import Milestone
from graphql_schema.open_data import FORMATS, plan_path
from graphql_schema.plans.versions import FieldChange, PlanVersion, pending_changes, versions_of
from graphql_schema.prefetch import now_or_later
from graphql_schema.relay import Connection, Node, decode_id
from graphql_schema.rows import from_rows

if TYPE_CHECKING:
    from graphql_schema.evaluation.types import Evaluation
    from graphql_schema.participation.types import Channel


@strawberry.type(description="An Open Government Action Plan of the municipality.")
class ActionPlan(Node):
    row: strawberry.Private[PlanRow]
    title: str
    summary: str
    status: ActionPlanStatus
    start_date: date
    end_date: date
    cocreation_at: datetime | None = strawberry.field(description="When co-creation opened.")
    published_at: datetime | None
    implementation_at: datetime | None
    closed_at: datetime | None
    archived_at: datetime | None

    @strawberry.field(description="The states this plan may move to next.")
    def allowed_transitions(self) -> list[ActionPlanStatus]:
        return lifecycle.allowed_targets(self.row.status)

    @strawberry.field(
        description="Its published versions, oldest first: the first is frozen when the plan "
        "is published, each later one by publishActionPlanChanges."
    )
    async def versions(self, info: Info) -> list[PlanVersion]:
        return await versions_of(info, self.row.id)

    @strawberry.field(description="One published version by its number, or null.")
    async def version(self, info: Info, number: int) -> PlanVersion | None:
        return next((v for v in await versions_of(info, self.row.id) if v.number == number), None)

    @strawberry.field(
        description="Changes to the plan's own fields waiting for its next published version "
        "(for those who read drafts; empty for everyone else)."
    )
    def pending_changes(self, info: Info) -> list[FieldChange]:
        return pending_changes(info, self.row)

    @strawberry.field(
        description="The plan as open data (CSV, XLSX, JSON, HTML report), at stable public "
        "addresses; empty while the plan is a draft."
    )
    def open_data(self, info: Info) -> list[OpenDataFile]:
        if not self.row.is_public:
            return []
        return open_data_files(info, plan_path, self.row.id, FORMATS)

    @strawberry.field(description="Mean of its commitments' progress, 0..100.")
    def progress(self, info: Info) -> float:
        return now_or_later(info.context.loaders.plan_progress, self.row.id)

    @strawberry.field(description="Participation channels: consultations, forums, ...")
    async def channels(
        self, info: Info
    ) -> list[Annotated[Channel, strawberry.lazy("graphql_schema.participation.types")]]:
        from core.participation.models import Channel as ChannelRow
        from graphql_schema.participation.types import Channel

        rows = await info.context.loaders.children(ChannelRow, "plan_id", ("opens_at", "id")).load(
            self.row.id
        )
        return from_rows(Channel, rows)

    @strawberry.field(description="Evaluations of the plan as a whole.")
    async def evaluations(
        self, info: Info
    ) -> list[Annotated[Evaluation, strawberry.lazy("graphql_schema.evaluation.types")]]:
        from core.enums import EvaluationTarget
        from core.evaluation.models import Evaluation as EvaluationRow
        from graphql_schema.evaluation.types import Evaluation

        rows = await info.context.loaders.children(EvaluationRow, "plan_id").load(self.row.id)
        measuring = info.context.plugins.measuring_frameworks()  # KPIs are no evaluations
        return from_rows(
            Evaluation,
            [r for r in rows if r.target is EvaluationTarget.PLAN and r.framework not in measuring],
        )

    @strawberry.field(
        description="Commitments ordered by code; optionally only those with a tag, led by an "
        "actor, for an OGP value, at a completion level, or with milestones delayed or not."
    )
    def commitments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        tag: str | None = None,
        lead_agency_id: strawberry.ID | None = None,
        ogp_value: OgpValue | None = None,
        completion_level: list[CompletionLevel] | None = None,
        delayed: Annotated[
            bool | None,
            strawberry.argument(
                description="true: commitments with a milestone delayed today; false: none."
            ),
        ] = None,
    ) -> Connection[Commitment]:
        wanted = CommitmentFilter(
            tag=tag,
            lead_agency_id=decode_id(lead_agency_id, "Actor", field="leadAgencyId")
            if lead_agency_id
            else None,
            ogp_value=ogp_value,
            completion_levels=frozenset(completion_level or ()),
            delayed=delayed,
        )
        if wanted.is_empty:
            return nested_connection(info, COMMITMENTS, Commitment, self.row.id, first, after)
        return filtered_commitments(info, self.row.id, wanted, first, after)  # type: ignore[return-value]

    @strawberry.field(
        description="Milestones of this plan delayed today (past their end date, neither "
        "completed nor cancelled), the most overdue first; empty unless the plan is published "
        "or being implemented."
    )
    async def delayed_milestones(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Milestone]:
        today = ((DELAYED_ON, (info.context.today(),)),)
        return await connection(info, DELAYED_IN_PLAN, Milestone, self.row.id, first, after, today)
