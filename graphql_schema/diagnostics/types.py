from __future__ import annotations

from datetime import date, datetime

import strawberry

from core.diagnostics.models import Assessment as AssessmentRow
from core.diagnostics.models import AssessmentAnswer as AnswerRow
from core.enums import AssessmentStatus
from graphql_schema.context import Info
from graphql_schema.permissions import ACCOUNT_FOR_STAFF, account
from graphql_schema.relay import Node
from plugins import records
from plugins.gqltypes import Text, optional_text, text


@strawberry.type
class AnswerOption:
    code: str
    label: Text
    value: float = strawberry.field(description="The share of the indicator it fulfils, 0..1.")


@strawberry.type
class Indicator:
    code: str
    title: Text
    guidance: Text
    weight: float


@strawberry.type
class Dimension:
    code: str
    title: Text
    description: Text | None
    weight: float
    indicators: list[Indicator]


@strawberry.type(description="A diagnostic instrument a plugin contributes (versioned data).")
class Instrument:
    name: str
    version: str
    plugin: str
    title: Text
    description: Text
    source: Text | None
    answers: list[AnswerOption]
    dimensions: list[Dimension]
    gap_below: float = strawberry.field(
        description="An indicator fulfilled below this share (or unanswered) is a gap."
    )


def answer_option(option: records.AnswerOption) -> AnswerOption:
    return AnswerOption(code=option.code, label=text(option.label), value=option.value)


def indicator_type(indicator: records.Indicator) -> Indicator:
    return Indicator(
        code=indicator.code,
        title=text(indicator.title),
        guidance=text(indicator.guidance),
        weight=indicator.weight,
    )


def dimension_type(dimension: records.Dimension) -> Dimension:
    return Dimension(
        code=dimension.code,
        title=text(dimension.title),
        description=optional_text(dimension.description),
        weight=dimension.weight,
        indicators=[indicator_type(i) for i in dimension.indicators],
    )


def instrument_type(plugin: str, spec: records.InstrumentSpec) -> Instrument:
    return Instrument(
        name=spec.name,
        version=spec.version,
        plugin=plugin,
        title=text(spec.title),
        description=text(spec.description),
        source=optional_text(spec.source),
        answers=[answer_option(a) for a in spec.answers],
        dimensions=[dimension_type(d) for d in spec.dimensions],
        gap_below=spec.gap_below,
    )


@strawberry.type
class DimensionScore:
    dimension: Dimension
    score: float | None = strawberry.field(description="0..100; null when not computable.")


@strawberry.type(name="AssessmentRating", description="A named result, e.g. a maturity level.")
class Rating:
    code: str
    label: Text


@strawberry.type
class AssessmentAnswer:
    indicator: Indicator
    answer: AnswerOption
    evidence_url: str | None
    comment: str
    answered_by: str | None = strawberry.field(
        description="The account that answered it " + ACCOUNT_FOR_STAFF
    )
    updated_at: datetime


@strawberry.type(description="An indicator not (fully) met: a gap a commitment can address.")
class Gap:
    indicator: Indicator
    dimension: Dimension
    answer: AnswerOption | None = strawberry.field(description="Null when unanswered.")


@strawberry.type(description="A diagnostic of the municipality with one instrument.")
class Assessment(Node):
    row: strawberry.Private[AssessmentRow]
    title: str
    status: AssessmentStatus
    assessed_on: date
    instrument_version: str
    overall_score: float | None
    submitted_at: datetime | None
    validated_at: datetime | None

    @strawberry.field(description="The account that started it " + ACCOUNT_FOR_STAFF)
    def created_by(self, info: Info) -> str | None:
        return account(info, self.row.created_by)

    def _spec(self, info: Info) -> records.InstrumentSpec | None:
        found = info.context.plugins.instrument(self.row.instrument)
        return found[1] if found else None

    @strawberry.field(description="Null if the plugin that defined it is no longer installed.")
    def instrument(self, info: Info) -> Instrument | None:
        found = info.context.plugins.instrument(self.row.instrument)
        return instrument_type(*found) if found else None

    @strawberry.field
    def dimension_scores(self, info: Info) -> list[DimensionScore]:
        spec = self._spec(info)
        if spec is None:
            return []
        return [
            DimensionScore(dimension=dimension_type(d), score=self.row.dimension_scores.get(d.code))
            for d in spec.dimensions
        ]

    @strawberry.field(description="A named result the instrument derives, e.g. a maturity level.")
    async def rating(self, info: Info) -> Rating | None:
        spec = self._spec(info)
        if spec is None or self.row.rating is None:
            return None
        rows: list[AnswerRow] = await info.context.loaders.assessment_answers.load(self.row.id)
        rating = spec.score(spec, {row.indicator: row.answer for row in rows}).rating
        if rating is None or rating.code != self.row.rating:  # scored under another version
            code = self.row.rating
            return Rating(code=code, label=Text(en=code, es=code, pt=code))
        return Rating(code=rating.code, label=text(rating.label))

    @strawberry.field
    async def answers(self, info: Info) -> list[AssessmentAnswer]:
        spec = self._spec(info)
        rows: list[AnswerRow] = await info.context.loaders.assessment_answers.load(self.row.id)
        if spec is None:
            return []
        out = []
        for row in rows:
            indicator, option = spec.indicator(row.indicator), spec.answer(row.answer)
            if indicator is None or option is None:
                continue  # answered under an older version of the instrument
            out.append(
                AssessmentAnswer(
                    indicator=indicator_type(indicator),
                    answer=answer_option(option),
                    evidence_url=row.evidence_url,
                    comment=row.comment,
                    answered_by=account(info, row.answered_by),
                    updated_at=row.updated_at,
                )
            )
        return out

    @strawberry.field(description="Indicators fulfilled below the instrument's gap threshold.")
    async def gaps(self, info: Info) -> list[Gap]:
        spec = self._spec(info)
        if spec is None:
            return []
        rows: list[AnswerRow] = await info.context.loaders.assessment_answers.load(self.row.id)
        given = {row.indicator: row.answer for row in rows}
        out = []
        for dimension in spec.dimensions:
            for indicator in dimension.indicators:
                answer = given.get(indicator.code)
                if spec.is_gap(indicator.code, answer):
                    option = spec.answer(answer) if answer is not None else None
                    out.append(
                        Gap(
                            indicator=indicator_type(indicator),
                            dimension=dimension_type(dimension),
                            answer=answer_option(option) if option else None,
                        )
                    )
        return out

    @strawberry.field
    async def answered_count(self, info: Info) -> int:
        return len(await info.context.loaders.assessment_answers.load(self.row.id))

    @strawberry.field
    def indicator_count(self, info: Info) -> int:
        spec = self._spec(info)
        return len(spec.indicators_by_code) if spec else 0
