from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.enums import MilestoneStatus
from core.milestones.models import Milestone as MilestoneRow
from core.milestones.models import is_delayed
from core.progress.models import ProgressReport as ReportRow
from graphql_schema.connections import nested_connection
from graphql_schema.context import Info
from graphql_schema.loaders import REPORTS
from graphql_schema.relay import Connection, Node
from graphql_schema.rows import from_row

if TYPE_CHECKING:
    from graphql_schema.commitments.types import Commitment


@strawberry.type(description="A link to evidence of progress.")
class Evidence:
    url: str
    title: str


@strawberry.type(description="A report on a milestone's progress. Append-only.")
class ProgressReport(Node):
    row: strawberry.Private[ReportRow]
    percent: float
    status: MilestoneStatus
    narrative: str
    reported_at: datetime
    author_subject: str

    @strawberry.field
    def evidence(self) -> list[Evidence]:
        return [Evidence(url=e["url"], title=e.get("title", "")) for e in self.row.evidence]


@strawberry.type(description="A verifiable deliverable of a commitment, with dates and weight.")
class Milestone(Node):
    row: strawberry.Private[MilestoneRow]
    title: str
    deliverable: str
    start_date: date
    end_date: date
    weight: float
    status: MilestoneStatus = strawberry.field(description="The latest report's status.")
    progress: float = strawberry.field(description="The latest report's percent (0..100).")
    last_reported_at: datetime | None

    @strawberry.field(
        description="The end date has passed and it is neither completed nor cancelled."
    )
    def is_delayed(self, info: Info) -> bool:
        return is_delayed(self.row.end_date, self.row.status, info.context.today())

    @strawberry.field(description="Progress reports, latest first.")
    def reports(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ProgressReport]:
        return nested_connection(info, REPORTS, ProgressReport, self.row.id, first, after)

    @strawberry.field
    async def commitment(
        self, info: Info
    ) -> Annotated[Commitment, strawberry.lazy("graphql_schema.commitments.types")]:
        from core.commitments.models import Commitment as CommitmentRow
        from graphql_schema.commitments.types import Commitment

        row = await info.context.loaders.get(CommitmentRow).load(self.row.commitment_id)
        return from_row(Commitment, row)
