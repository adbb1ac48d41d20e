"""A third-party plugin that lives only in the tests, written against ``usina`` alone.

It is installed for the test session through a real ``usina.plugins`` entry point (see
``tests/conftest.py``). It adds an instrument, a GraphQL field and a setting, and records the
events it receives. Like the built-in KPI plugin, it keeps its own measurements ("targets")
in the core's generic evaluation records, with a query, a mutation and background jobs,
using nothing but the ``usina`` API.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from usina import (
    SYSTEM,
    AnswerOption,
    DerivationInput,
    Dimension,
    DomainEvent,
    FrameworkSpec,
    GraphQLContribution,
    Indicator,
    Info,
    InstrumentSpec,
    JobContext,
    JobSpec,
    Permission,
    PluginInfo,
    Principal,
    decode_id,
    hookimpl,
    msg,
    requires,
    weighted_scores,
)
from usina.models import (
    Commitment,
    Evaluation,
    EvaluationRating,
    EvaluationStatus,
    EvaluationTarget,
    utcnow,
)
from usina.services import audit, lookups, progress, validation

NAME = "fixture_plugin"
RECEIVED: list[DomainEvent] = []
CALLS: list[str] = []


class FixtureSettings(BaseModel):
    greeting: str = "Hola"
    max_items: int = Field(default=3, ge=1, le=10)


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title=msg("Fixture plugin", "Complemento de prueba", "Complemento de teste"),
        description=msg(
            "Exists only in the tests.", "Solo existe en las pruebas.", "Só existe nos testes."
        ),
        version="1.0",
        settings=FixtureSettings,
        events=("fixture.target",),
    )


@hookimpl
def register_instruments() -> Sequence[InstrumentSpec]:
    return [
        InstrumentSpec(
            name="fixture_checklist",
            version="1",
            title=msg("Fixture checklist", "Lista de prueba", "Lista de teste"),
            description=msg("Two questions.", "Dos preguntas.", "Duas perguntas."),
            answers=(
                AnswerOption("YES", msg("Yes", "Sí", "Sim"), 1.0),
                AnswerOption("NO", msg("No", "No", "Não"), 0.0),
            ),
            dimensions=(
                Dimension(
                    code="X",
                    title=msg("Everything", "Todo", "Tudo"),
                    indicators=(
                        Indicator("X1", msg("First", "Primera", "Primeira"), msg("", "", "")),
                        Indicator(
                            "X2", msg("Second", "Segunda", "Segunda"), msg("", "", ""), weight=3
                        ),
                    ),
                ),
            ),
            score=weighted_scores,
        )
    ]


@strawberry.type
class FixtureQuery:
    @strawberry.field(description="A greeting configured per municipality.")
    async def fixture_greeting(self, info: Info) -> str:
        CALLS.append("fixture_greeting")
        settings = await info.context.plugin_settings(NAME)
        name = info.context.tenant().municipality.name
        return f"{settings.get('greeting', 'Hola')}, {name}"


TARGETS = "fixture_targets"


async def record_target(
    session: AsyncSession, by: Principal, commitment_id: uuid.UUID, code: str, value: float
) -> EvaluationRating:
    """What the KPI plugin does, from outside: a published evaluation of the commitment in
    this plugin's framework, one rating per code holding the value; audited."""
    commitment = await lookups.get(session, Commitment, commitment_id, field="commitmentId")
    code = validation.text("code", code, max_length=50)
    evaluation = (
        await session.execute(
            select(Evaluation).where(
                Evaluation.commitment_id == commitment.id, Evaluation.framework == TARGETS
            )
        )
    ).scalar_one_or_none()
    if evaluation is None:
        evaluation = Evaluation(
            plan_id=commitment.plan_id,
            commitment_id=commitment.id,
            framework=TARGETS,
            framework_version="1",
            target=EvaluationTarget.COMMITMENT,
            status=EvaluationStatus.PUBLISHED,
            reviewer=by.subject,
            published_at=utcnow(),
        )
        session.add(evaluation)
        await session.flush()
    rating = (
        await session.execute(
            select(EvaluationRating).where(
                EvaluationRating.evaluation_id == evaluation.id, EvaluationRating.criterion == code
            )
        )
    ).scalar_one_or_none()
    before = audit.snapshot(rating) if rating is not None else None
    if rating is None:
        rating = EvaluationRating(
            plan_id=commitment.plan_id, evaluation_id=evaluation.id, criterion=code, data={}
        )
        session.add(rating)
    rating.data = {"value": float(value)}
    await session.flush()
    audit.record(session, by, "fixture.target", rating, before=before)
    return rating


@strawberry.type
class FixtureTarget:
    code: str
    value: float


@strawberry.type
class FixtureTargetsQuery:
    @strawberry.field(description="A commitment's targets kept by the fixture plugin.")
    async def fixture_targets(
        self, info: Info, commitment_id: strawberry.ID
    ) -> list[FixtureTarget]:
        context = info.context
        context.tenant()
        cid = decode_id(commitment_id, "Commitment", field="commitmentId")
        async with context.db_lock:
            await lookups.get(context.session, Commitment, cid, field="commitmentId")
            rows = await context.session.execute(
                select(EvaluationRating)
                .join(
                    Evaluation,
                    (Evaluation.tenant_id == EvaluationRating.tenant_id)
                    & (Evaluation.id == EvaluationRating.evaluation_id),
                )
                .where(Evaluation.commitment_id == cid, Evaluation.framework == TARGETS)
                .order_by(EvaluationRating.criterion)
            )
            return [FixtureTarget(code=r.criterion, value=r.data["value"]) for r in rows.scalars()]


@strawberry.input
class FixtureTargetInput:
    commitment_id: strawberry.ID
    code: str
    value: float


@strawberry.type
class FixtureTargetsMutation:
    @strawberry.mutation(
        description="Record a target value (the fixture plugin's KPI).",
        permission_classes=[requires(Permission.EDIT_PLANS)],
    )
    async def fixture_record_target(self, info: Info, input: FixtureTargetInput) -> FixtureTarget:
        context = info.context
        context.tenant()
        cid = decode_id(input.commitment_id, "Commitment", field="commitmentId")
        async with context.transaction() as session:
            row = await record_target(session, context.principal, cid, input.code, input.value)
        return FixtureTarget(code=row.criterion, value=row.data["value"])


def _no_derivation(data: DerivationInput) -> Mapping[str, str | None]:
    return {}


@hookimpl
def register_frameworks() -> Sequence[FrameworkSpec]:
    return [
        FrameworkSpec(
            name=TARGETS,
            version="1",
            title=msg("Fixture targets", "Metas de prueba", "Metas de teste"),
            description=msg(
                "Values recorded by the fixture plugin.", "Valores de prueba.", "Valores de teste."
            ),
            criteria={"COMMITMENT": ()},
            derive=_no_derivation,
        )
    ]


@hookimpl
def register_graphql() -> Sequence[GraphQLContribution]:
    return [
        GraphQLContribution(name="fixture", query=FixtureQuery),
        GraphQLContribution(
            name="fixture_targets", query=FixtureTargetsQuery, mutation=FixtureTargetsMutation
        ),
    ]


@hookimpl
async def on_event(event: DomainEvent) -> None:
    RECEIVED.append(event)


async def count_plans(ctx: JobContext) -> dict[str, object]:
    """A plugin's job: it sees only its municipality (the session is bound to it)."""
    from sqlalchemy import text

    rows = await ctx.session.execute(text("SELECT tenant_id FROM action_plans"))
    tenants = {str(row[0]).replace("-", "") for row in rows}
    return {"plans_of": sorted(tenants), "municipality": ctx.municipality.slug}


async def report_progress(ctx: JobContext) -> dict[str, Any]:
    """A plugin's job that changes a milestone's state, through the same service as the
    ``reportProgress`` mutation (an integration reporting progress in the background)."""
    data = progress.ReportData(
        milestone_id=uuid.UUID(str(ctx.args["milestone_id"])),
        percent=float(ctx.args["percent"]),
        narrative=str(ctx.args.get("narrative", "")),
    )
    _, milestone = await progress.report(ctx.session, SYSTEM, data)
    return {"status": milestone.status.value, "progress": milestone.progress}


async def record_target_job(ctx: JobContext) -> dict[str, Any]:
    row = await record_target(
        ctx.session,
        SYSTEM,
        uuid.UUID(str(ctx.args["commitment_id"])),
        str(ctx.args["code"]),
        float(ctx.args["value"]),
    )
    return {"code": row.criterion}


@hookimpl
def register_jobs() -> Sequence[JobSpec]:
    return [
        JobSpec(name="fixture_plugin.count_plans", run=count_plans, max_attempts=1),
        JobSpec(name="fixture_plugin.report_progress", run=report_progress, max_attempts=1),
        JobSpec(name="fixture_plugin.record_target", run=record_target_job, max_attempts=1),
    ]
