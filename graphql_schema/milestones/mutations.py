from __future__ import annotations

from datetime import date

import strawberry
from strawberry.file_uploads import Upload

from core.enums import MilestoneStatus
from core.errors import BadUserInput
from core.files import service as files
from core.i18n import msg
from core.identity.roles import Permission
from core.milestones import service as milestones
from core.progress import service as progress
from graphql_schema.context import Info
from graphql_schema.inputs import provided
from graphql_schema.milestones.types import EvidenceFile, Milestone, ProgressReport
from graphql_schema.permissions import requires
from graphql_schema.relay import decode_id
from graphql_schema.rows import from_row


@strawberry.input
class CreateMilestoneInput:
    commitment_id: strawberry.ID
    title: str
    start_date: date
    end_date: date
    deliverable: str = ""
    weight: float = 1.0


@strawberry.input
class UpdateMilestoneInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    deliverable: str | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    weight: float | None = strawberry.UNSET


@strawberry.input
class EvidenceInput:
    url: str = strawberry.field(default="", description="A link; or give fileId instead.")
    title: str = ""
    file_id: strawberry.ID | None = strawberry.field(
        default=None, description="A file of the milestone uploaded with uploadEvidence."
    )


@strawberry.input
class UploadEvidenceInput:
    milestone_id: strawberry.ID
    file: Upload = strawberry.field(
        description="The file (GraphQL multipart request): PDF, PNG, JPEG or WebP."
    )


@strawberry.type
class EvidenceFilePayload:
    evidence_file: EvidenceFile


@strawberry.input
class ReportProgressInput:
    milestone_id: strawberry.ID
    percent: float
    status: MilestoneStatus | None = strawberry.field(
        default=None, description="Derived from percent when omitted."
    )
    narrative: str = ""
    evidence: list[EvidenceInput] = strawberry.field(default_factory=list)


@strawberry.type
class MilestonePayload:
    milestone: Milestone


@strawberry.type
class ReportProgressPayload:
    report: ProgressReport
    milestone: Milestone


EDIT = [requires(Permission.EDIT_PLANS)]


@strawberry.type
class MilestoneMutations:
    @strawberry.mutation(
        permission_classes=EDIT,
        description="Add a verifiable milestone (dates, weight, deliverable) to a commitment.",
    )
    async def create_milestone(self, info: Info, input: CreateMilestoneInput) -> MilestonePayload:
        info.context.tenant()
        data = milestones.MilestoneData(
            commitment_id=decode_id(input.commitment_id, "Commitment", field="commitmentId"),
            title=input.title,
            start_date=input.start_date,
            end_date=input.end_date,
            deliverable=input.deliverable,
            weight=input.weight,
        )
        async with info.context.transaction() as session:
            row = await milestones.create(session, info.context.principal, data)
        return MilestonePayload(milestone=from_row(Milestone, row))

    @strawberry.mutation(
        permission_classes=EDIT,
        description="Change a milestone; only the fields sent change.",
    )
    async def update_milestone(self, info: Info, input: UpdateMilestoneInput) -> MilestonePayload:
        info.context.tenant()
        milestone_id = decode_id(input.id, "Milestone", field="id")
        changes = {k: v for k, v in provided(input).items() if v is not None}
        async with info.context.transaction() as session:
            row = await milestones.update(session, info.context.principal, milestone_id, changes)
        return MilestonePayload(milestone=from_row(Milestone, row))

    @strawberry.mutation(
        description="Upload a file (a signed ordinance, minutes, a photograph) as evidence of "
        "a milestone's progress, then cite it in reportProgress (evidence: [{fileId}]). The "
        "public sees it once a report of published content cites it.",
        permission_classes=[requires(Permission.REPORT_PROGRESS)],
    )
    async def upload_evidence(self, info: Info, input: UploadEvidenceInput) -> EvidenceFilePayload:
        context = info.context
        context.tenant()
        milestone_id = decode_id(input.milestone_id, "Milestone", field="milestoneId")
        upload = input.file
        if not hasattr(upload, "read"):
            raise BadUserInput(
                msg(
                    "Send the file as a GraphQL multipart request.",
                    "Envíe el archivo como solicitud GraphQL multipart.",
                    "Envie o arquivo como solicitação GraphQL multipart.",
                ),
                field="file",
            )
        content = await upload.read()  # the view closes the request's files afterwards
        assert context.files is not None
        async with context.transaction() as session:
            row = await files.upload_evidence(
                session,
                context.principal,
                context.files,
                milestone_id,
                getattr(upload, "filename", "") or "evidencia",
                content,
                max_bytes=context.settings.evidence_max_bytes,
            )
        return EvidenceFilePayload(evidence_file=from_row(EvidenceFile, row))

    @strawberry.mutation(
        description="Append a progress report; it becomes the milestone's state.",
        permission_classes=[requires(Permission.REPORT_PROGRESS)],
    )
    async def report_progress(
        self, info: Info, input: ReportProgressInput
    ) -> ReportProgressPayload:
        info.context.tenant()
        data = progress.ReportData(
            milestone_id=decode_id(input.milestone_id, "Milestone", field="milestoneId"),
            percent=input.percent,
            status=input.status,
            narrative=input.narrative,
            evidence=[
                progress.Evidence(
                    url=e.url,
                    title=e.title,
                    file_id=decode_id(e.file_id, "EvidenceFile", field="evidence.fileId")
                    if e.file_id
                    else None,
                )
                for e in input.evidence
            ],
        )
        async with info.context.transaction() as session:
            report, milestone = await progress.report(session, info.context.principal, data)
        return ReportProgressPayload(
            report=from_row(ProgressReport, report), milestone=from_row(Milestone, milestone)
        )
