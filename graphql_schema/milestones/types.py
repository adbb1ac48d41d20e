from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from core.enums import MilestoneStatus
from core.files.models import EvidenceFile as EvidenceRow
from core.identity.roles import Permission
from core.milestones.models import Milestone as MilestoneRow
from core.milestones.models import is_delayed
from core.progress.models import ProgressReport as ReportRow
from graphql_schema.connections import nested_connection
from graphql_schema.context import Info
from graphql_schema.files import evidence_path
from graphql_schema.jobs.types import FILE_LINK_SECONDS
from graphql_schema.loaders import REPORTS
from graphql_schema.permissions import ACCOUNT_FOR_STAFF, account
from graphql_schema.plans.versions import FieldChange, pending_changes
from graphql_schema.relay import Connection, Node
from graphql_schema.rows import from_row
from tenants.access import fresh_keys

if TYPE_CHECKING:
    from graphql_schema.commitments.types import Commitment


@strawberry.type(description="A file uploaded as evidence of a milestone's progress.")
class EvidenceFile:
    row: strawberry.Private[EvidenceRow]
    id: strawberry.ID
    filename: str
    media_type: str
    size: int = strawberry.field(description="In bytes.")
    sha256: str
    created_at: datetime

    @strawberry.field(
        description="A link to the file. For the public, its stable address (the file's hash: "
        "it never expires, and caches may keep it for ever); for the municipality's staff, who "
        "also read drafts' files, a signed link valid for an hour."
    )
    async def download_url(self, info: Info) -> str:
        context = info.context
        base = context.settings.link_base(str(context.request.base_url))
        if not context.principal.can(Permission.READ_DRAFTS):
            # What the public reads is public: the file is under a published plan.
            return base + evidence_path(context.tenant().binding.slug, self.row.sha256)
        await fresh_keys(context.db, context.tokens)
        token = context.tokens.sign(
            {
                "sub": f"evidence:{self.row.id}",
                "file": str(self.row.id),
                "kind": "evidence",
                "tenant": context.tenant().binding.slug,
            },
            ttl_seconds=FILE_LINK_SECONDS,
        )
        return f"{base}/files/{self.row.id}?token={token}"


@strawberry.type(description="Evidence of progress: a link, or an uploaded file.")
class Evidence:
    url: str = strawberry.field(description="The link; for a file, its download link.")
    title: str
    file: EvidenceFile | None = None


def _link(url: str, title: str) -> Evidence:
    """``Evidence(url=url, title=title)`` without the dataclass ``__init__`` (a report's links
    are built for every report a portal shows)."""
    evidence: Any = object.__new__(Evidence)
    evidence.__dict__ = {"url": url, "title": title, "file": None}
    return evidence


@strawberry.type(description="A report on a milestone's progress. Append-only.")
class ProgressReport(Node):
    row: strawberry.Private[ReportRow]
    percent: float
    status: MilestoneStatus
    narrative: str
    reported_at: datetime

    @strawberry.field(description="The account that reported it " + ACCOUNT_FOR_STAFF)
    def author_subject(self, info: Info) -> str | None:
        return account(info, self.row.author_subject)

    @strawberry.field
    def evidence(self, info: Info) -> list[Evidence]:
        """Links at once (synchronous: most reports cite no file, and an awaitable here would
        make every report, milestone and commitment above it a task); uploaded files loaded
        in one batch, with their download links."""
        evidence = self.row.evidence
        for item in evidence:
            if "fileId" in item:
                return self._with_files(info)  # type: ignore[return-value]  # awaited
        return [_link(item["url"], item.get("title", "")) for item in evidence]

    async def _with_files(self, info: Info) -> list[Evidence]:
        cited = [uuid.UUID(e["fileId"]) for e in self.row.evidence if "fileId" in e]
        rows = await info.context.loaders.get(EvidenceRow).load_many(cited)
        uploaded = {row.id: from_row(EvidenceFile, row) for row in rows if row is not None}
        out = []
        for item in self.row.evidence:
            if "fileId" not in item:
                out.append(Evidence(url=item["url"], title=item.get("title", "")))
                continue
            file = uploaded.get(uuid.UUID(item["fileId"]))
            if file is not None:
                url = await file.download_url(info)
                out.append(Evidence(url=url, title=item.get("title", ""), file=file))
        return out


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
        description="False for a milestone added to a published plan, until the plan's "
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
