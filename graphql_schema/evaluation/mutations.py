from __future__ import annotations

import strawberry

from core import lookups
from core.errors import BadUserInput
from core.evaluation import service as evaluations
from core.evaluation.models import Evaluation as EvaluationRow
from core.i18n import msg
from core.identity.roles import Permission
from graphql_schema.context import Info
from graphql_schema.evaluation.types import Evaluation
from graphql_schema.permissions import requires
from graphql_schema.relay import decode_id
from graphql_schema.rows import from_row
from plugins.derivation import deriver
from plugins.records import FrameworkSpec


@strawberry.input
class StartEvaluationInput:
    framework: str
    action_plan_id: strawberry.ID
    commitment_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omit to evaluate the plan."
    )


@strawberry.input
class RateCriterionInput:
    evaluation_id: strawberry.ID
    criterion: str
    value: str | None = strawberry.field(
        description="A code of the criterion's scale; null withdraws an override."
    )
    justification: str = ""


@strawberry.input
class EvaluationIdInput:
    id: strawberry.ID


@strawberry.type
class EvaluationPayload:
    evaluation: Evaluation


async def _framework(info: Info, name: str, field: str = "framework") -> FrameworkSpec:
    spec: FrameworkSpec = await info.context.enabled_spec("framework", name, field=field)
    return spec


EVALUATE = [requires(Permission.EVALUATE)]


@strawberry.type
class EvaluationMutations:
    @strawberry.mutation(
        description="Apply a framework to a plan or one of its commitments.",
        permission_classes=EVALUATE,
    )
    async def start_evaluation(self, info: Info, input: StartEvaluationInput) -> EvaluationPayload:
        context = info.context
        context.tenant()
        spec = await _framework(info, input.framework)
        target = "COMMITMENT" if input.commitment_id else "PLAN"
        criteria = list(spec.criteria.get(target, ()))
        if not criteria:
            raise BadUserInput(
                msg(
                    "This framework does not rate "
                    + ("a commitment." if target == "COMMITMENT" else "a plan as a whole."),
                    "Este marco no califica "
                    + ("compromisos." if target == "COMMITMENT" else "planes en su conjunto."),
                    "Este marco de avaliação não pontua "
                    + ("compromissos." if target == "COMMITMENT" else "planos como um todo."),
                ),
                field="framework",
            )
        async with context.transaction() as session:
            row = await evaluations.start(
                session,
                context.principal,
                framework=spec.name,
                version=spec.version,
                criteria=criteria,  # type: ignore[arg-type]
                derive=deriver(spec),
                plan_id=decode_id(input.action_plan_id, "ActionPlan", field="actionPlanId"),
                commitment_id=decode_id(input.commitment_id, "Commitment", field="commitmentId")
                if input.commitment_id
                else None,
            )
        return EvaluationPayload(evaluation=from_row(Evaluation, row))

    @strawberry.mutation(
        description="Rate a criterion with a justification; overriding a derived rating needs one.",
        permission_classes=EVALUATE,
    )
    async def rate_criterion(self, info: Info, input: RateCriterionInput) -> EvaluationPayload:
        context = info.context
        context.tenant()
        evaluation_id = decode_id(input.evaluation_id, "Evaluation", field="evaluationId")
        async with context.transaction() as session:
            row = await lookups.get(session, EvaluationRow, evaluation_id, field="evaluationId")
            spec = await _framework(info, row.framework, field="evaluationId")
            criterion = spec.criterion(row.target.value, input.criterion)
            if criterion is None:
                raise BadUserInput(
                    msg(
                        f"No criterion '{input.criterion}' here.",
                        f"No hay un criterio '{input.criterion}' aquí.",
                        f"Não há um critério '{input.criterion}' aqui.",
                    ),
                    field="criterion",
                )
            row = await evaluations.rate(
                session,
                context.principal,
                evaluation_id,
                criterion,
                input.value,
                input.justification,
                deriver(spec),
            )
        return EvaluationPayload(evaluation=from_row(Evaluation, row))

    @strawberry.mutation(
        description="Publish an evaluation: the public sees it from then on.",
        permission_classes=EVALUATE,
    )
    async def publish_evaluation(self, info: Info, input: EvaluationIdInput) -> EvaluationPayload:
        context = info.context
        context.tenant()
        evaluation_id = decode_id(input.id, "Evaluation", field="id")
        async with context.transaction() as session:
            row = await lookups.get(session, EvaluationRow, evaluation_id, field="id")
            await _framework(info, row.framework, field="id")
            row = await evaluations.publish(session, context.principal, evaluation_id)
        return EvaluationPayload(evaluation=from_row(Evaluation, row))
