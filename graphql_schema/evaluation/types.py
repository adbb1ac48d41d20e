from __future__ import annotations

from datetime import datetime

import strawberry

from core.enums import EvaluationStatus, EvaluationTarget
from core.evaluation.models import Evaluation as EvaluationRow
from core.evaluation.models import Rating as RatingRow
from graphql_schema.context import Info
from graphql_schema.permissions import ACCOUNT_FOR_STAFF, account
from graphql_schema.relay import Node, to_global_id
from plugins import records
from plugins.gqltypes import Text, optional_text, text


@strawberry.type
class ScaleOption:
    code: str
    label: Text


@strawberry.type
class Criterion:
    code: str
    title: Text
    description: Text | None
    derived: bool = strawberry.field(
        description="Computed by the framework; overridable with a justification."
    )
    scale: list[ScaleOption]


def criterion_type(c: records.Criterion) -> Criterion:
    return Criterion(
        code=c.code,
        title=text(c.title),
        description=optional_text(c.description),
        derived=c.derived,
        scale=[ScaleOption(code=o.code, label=text(o.label)) for o in c.scale],
    )


@strawberry.type
class Framework:
    name: str
    version: str
    plugin: str
    title: Text
    description: Text
    plan_criteria: list[Criterion]
    commitment_criteria: list[Criterion]


def framework_type(plugin: str, spec: records.FrameworkSpec) -> Framework:
    return Framework(
        name=spec.name,
        version=spec.version,
        plugin=plugin,
        title=text(spec.title),
        description=text(spec.description),
        plan_criteria=[criterion_type(c) for c in spec.criteria.get("PLAN", ())],
        commitment_criteria=[criterion_type(c) for c in spec.criteria.get("COMMITMENT", ())],
    )


@strawberry.type(
    description="A criterion's rating: derived by the framework or given by a reviewer."
)
class Rating:
    criterion: Criterion | None
    code: str
    value: ScaleOption | None = strawberry.field(description="The rating in force.")
    derived: ScaleOption | None = strawberry.field(
        description="What the framework derived from data."
    )
    overridden: bool
    justification: str


@strawberry.type(description="A framework applied to a plan or a commitment.")
class Evaluation(Node):
    row: strawberry.Private[EvaluationRow]
    framework: str
    framework_version: str
    target: EvaluationTarget
    status: EvaluationStatus
    published_at: datetime | None

    @strawberry.field(description="The account that started it " + ACCOUNT_FOR_STAFF)
    def reviewer(self, info: Info) -> str | None:
        return account(info, self.row.reviewer)

    @strawberry.field
    def commitment_id(self) -> strawberry.ID | None:
        cid = self.row.commitment_id
        return strawberry.ID(to_global_id("Commitment", cid)) if cid else None

    @strawberry.field
    async def ratings(self, info: Info) -> list[Rating]:
        found = info.context.plugins.framework(self.row.framework)
        spec = found[1] if found else None
        rows: list[RatingRow] = await info.context.loaders.children(
            RatingRow, "evaluation_id"
        ).load(self.row.id)
        out = []
        for row in rows:
            c = spec.criterion(self.row.target.value, row.criterion) if spec else None

            def option(code: str | None, c: records.Criterion | None = c) -> ScaleOption | None:
                o = c.option(code) if c and code else None
                return ScaleOption(code=o.code, label=text(o.label)) if o else None

            out.append(
                Rating(
                    criterion=criterion_type(c) if c else None,
                    code=row.criterion,
                    value=option(row.value),
                    derived=option(row.derived),
                    overridden=row.overridden,
                    justification=row.justification,
                )
            )
        return out
