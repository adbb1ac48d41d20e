from __future__ import annotations

import uuid
from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core.diagnostics import service as diagnostics
from core.diagnostics.models import Assessment as AssessmentRow
from core.enums import AssessmentStatus
from core.identity.roles import Permission
from graphql_schema.context import Info
from graphql_schema.diagnostics.types import Assessment
from graphql_schema.permissions import requires
from graphql_schema.relay import decode_id
from graphql_schema.rows import from_row
from plugins.records import InstrumentSpec


@strawberry.input
class StartAssessmentInput:
    instrument: str
    title: str
    assessed_on: date


@strawberry.input
class AnswerInput:
    indicator: str
    answer: str
    evidence_url: str | None = None
    comment: str = ""


@strawberry.input
class AnswerIndicatorsInput:
    assessment_id: strawberry.ID
    answers: list[AnswerInput]


@strawberry.input
class AssessmentIdInput:
    id: strawberry.ID


@strawberry.type
class AssessmentPayload:
    assessment: Assessment


async def _instrument(info: Info, name: str, field: str = "instrument") -> InstrumentSpec:
    spec: InstrumentSpec = await info.context.enabled_spec("instrument", name, field=field)
    return spec


RUN = [requires(Permission.RUN_ASSESSMENTS)]


@strawberry.type
class DiagnosticMutations:
    @strawberry.mutation(
        permission_classes=RUN,
        description="Start a diagnostic of the municipality with one of its enabled instruments, "
        "as a "
        "draft.",
    )
    async def start_assessment(self, info: Info, input: StartAssessmentInput) -> AssessmentPayload:
        context = info.context
        context.tenant()
        spec = await _instrument(info, input.instrument)
        async with context.transaction() as session:
            row = await diagnostics.start(
                session, context.principal, spec, input.title, input.assessed_on
            )
        return AssessmentPayload(assessment=from_row(Assessment, row))

    @strawberry.mutation(
        description="Record or replace answers of a draft assessment; scores are recomputed.",
        permission_classes=RUN,
    )
    async def answer_indicators(
        self, info: Info, input: AnswerIndicatorsInput
    ) -> AssessmentPayload:
        context = info.context
        context.tenant()
        assessment_id = decode_id(input.assessment_id, "Assessment", field="assessmentId")
        answers = [
            diagnostics.AnswerData(a.indicator, a.answer, a.evidence_url, a.comment)
            for a in input.answers
        ]
        async with context.transaction() as session:
            row = await _load(session, assessment_id)
            spec = await _instrument(info, row.instrument)
            row = await diagnostics.answer(session, context.principal, spec, assessment_id, answers)
        return AssessmentPayload(assessment=from_row(Assessment, row))

    @strawberry.mutation(
        permission_classes=RUN,
        description="Submit a draft diagnostic for validation; its answers are frozen until it is "
        "reopened.",
    )
    async def submit_assessment(self, info: Info, input: AssessmentIdInput) -> AssessmentPayload:
        return await _transition(info, input.id, AssessmentStatus.SUBMITTED)

    @strawberry.mutation(
        description="Send a submitted assessment back to draft.",
        permission_classes=[requires(Permission.VALIDATE_ASSESSMENTS)],
    )
    async def reopen_assessment(self, info: Info, input: AssessmentIdInput) -> AssessmentPayload:
        return await _transition(info, input.id, AssessmentStatus.DRAFT)

    @strawberry.mutation(
        description="Validate a submitted assessment: it becomes public.",
        permission_classes=[requires(Permission.VALIDATE_ASSESSMENTS)],
    )
    async def validate_assessment(self, info: Info, input: AssessmentIdInput) -> AssessmentPayload:
        return await _transition(info, input.id, AssessmentStatus.VALIDATED)


async def _load(session: AsyncSession, assessment_id: uuid.UUID) -> AssessmentRow:
    return await lookups.get(session, AssessmentRow, assessment_id, field="assessmentId")


async def _transition(info: Info, global_id: str, to: AssessmentStatus) -> AssessmentPayload:
    context = info.context
    context.tenant()
    assessment_id = decode_id(global_id, "Assessment", field="id")
    async with context.transaction() as session:
        row = await _load(session, assessment_id)
        found = context.plugins.instrument(row.instrument)
        if found is not None:
            await context.require_plugin(found[0])
        row = await diagnostics.transition(session, context.principal, assessment_id, to)
    return AssessmentPayload(assessment=from_row(Assessment, row))
