"""Running an assessment: start, answer, submit, validate, reopen.

The instrument comes from a plugin; this module only needs what :class:`Instrument` states,
so the core never imports the plugin layer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.db.base import utcnow
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.enums import AssessmentStatus
from core.errors import BadUserInput, Conflict
from core.i18n import msg
from core.identity.principal import Principal
from core.words import ASSESSMENT_STATUSES, each


class _Rating(Protocol):
    code: str


class _Scores(Protocol):
    overall: float | None
    dimensions: Mapping[str, float | None]
    rating: _Rating | None


class Instrument(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def score(self) -> Callable[..., Any]: ...  # returns what _Scores describes

    def indicator(self, code: str) -> Any: ...

    def answer(self, code: str) -> Any: ...


@dataclass(frozen=True)
class AnswerData:
    indicator: str
    answer: str
    evidence_url: str | None = None
    comment: str = ""


async def start(
    session: AsyncSession, by: Principal, instrument: Instrument, title: str, assessed_on: date
) -> Assessment:
    assessment = Assessment(
        instrument=instrument.name,
        instrument_version=instrument.version,
        title=v.text("title", title, max_length=300),
        assessed_on=assessed_on,
        created_by=by.subject,
    )
    _apply_scores(assessment, instrument, {})
    session.add(assessment)
    await session.flush()
    audit.record(session, by, "assessment.start", assessment)
    return assessment


def check_answers(instrument: Instrument, answers: Sequence[AnswerData]) -> list[AnswerData]:
    """Every answer names an indicator of the instrument and an answer of its scale."""
    cleaned = []
    for index, item in enumerate(answers):
        if instrument.indicator(item.indicator) is None:
            raise BadUserInput(
                msg(
                    f"The instrument has no indicator '{item.indicator}'.",
                    f"El instrumento no tiene el indicador '{item.indicator}'.",
                    f"O instrumento não tem o indicador '{item.indicator}'.",
                ),
                field=f"answers.{index}.indicator",
            )
        if instrument.answer(item.answer) is None:
            raise BadUserInput(
                msg(
                    f"'{item.answer}' is not an answer of this instrument.",
                    f"'{item.answer}' no es una respuesta de este instrumento.",
                    f"'{item.answer}' não é uma resposta deste instrumento.",
                ),
                field=f"answers.{index}.answer",
            )
        cleaned.append(
            AnswerData(
                indicator=item.indicator,
                answer=item.answer,
                evidence_url=v.url(f"answers.{index}.evidenceUrl", item.evidence_url),
                comment=v.text(
                    f"answers.{index}.comment", item.comment, max_length=5000, required=False
                ),
            )
        )
    return cleaned


async def answer(
    session: AsyncSession,
    by: Principal,
    instrument: Instrument,
    assessment_id: uuid.UUID,
    answers: Sequence[AnswerData],
) -> Assessment:
    """Record (or replace) answers of a draft assessment and recompute its scores (with the
    assessment locked, so that concurrent answers all count in the scores)."""
    assessment = await lookups.locked(session, Assessment, assessment_id, field="assessmentId")
    _require_status(assessment, AssessmentStatus.DRAFT)
    cleaned = check_answers(instrument, answers)
    existing = {a.indicator: a for a in await _answers(session, assessment.id)}
    for item in cleaned:
        row = existing.get(item.indicator)
        if row is None:
            row = AssessmentAnswer(assessment_id=assessment.id, indicator=item.indicator)
            session.add(row)
            existing[item.indicator] = row
        row.answer = item.answer
        row.evidence_url = item.evidence_url
        row.comment = item.comment
        row.answered_by = by.subject
    before = audit.snapshot(assessment)
    _apply_scores(assessment, instrument, {k: a.answer for k, a in existing.items()})
    await session.flush()
    after = audit.snapshot(assessment) | {"answers": {i.indicator: i.answer for i in cleaned}}
    audit.record(session, by, "assessment.answer", assessment, before=before, after=after)
    return assessment


async def transition(
    session: AsyncSession, by: Principal, assessment_id: uuid.UUID, to: AssessmentStatus
) -> Assessment:
    """DRAFT -> SUBMITTED -> VALIDATED, and SUBMITTED -> DRAFT (reopen)."""
    assessment = await lookups.get(session, Assessment, assessment_id, field="id")
    allowed = {
        AssessmentStatus.SUBMITTED: AssessmentStatus.DRAFT,
        AssessmentStatus.VALIDATED: AssessmentStatus.SUBMITTED,
        AssessmentStatus.DRAFT: AssessmentStatus.SUBMITTED,
    }
    if allowed[to] is not assessment.status:
        now_en, now_es, now_pt = each(ASSESSMENT_STATUSES, assessment.status)
        to_en, to_es, to_pt = each(ASSESSMENT_STATUSES, to)
        raise Conflict(
            msg(
                f"An assessment in state '{now_en}' cannot become '{to_en}'.",
                f"Un diagnóstico en estado '{now_es}' no puede pasar a '{to_es}'.",
                f"Um diagnóstico no estado '{now_pt}' não pode passar para '{to_pt}'.",
            )
        )
    before = audit.snapshot(assessment)
    assessment.status = to
    if to is AssessmentStatus.SUBMITTED:
        assessment.submitted_at = utcnow()
    if to is AssessmentStatus.VALIDATED:
        assessment.validated_at = utcnow()
    await session.flush()
    audit.record(session, by, f"assessment.{to.value.lower()}", assessment, before=before)
    return assessment


async def answers_of(
    session: AsyncSession, assessment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AssessmentAnswer]]:
    rows = await session.execute(
        select(AssessmentAnswer)
        .where(AssessmentAnswer.assessment_id.in_(assessment_ids))
        .order_by(AssessmentAnswer.indicator)
    )
    out: dict[uuid.UUID, list[AssessmentAnswer]] = {i: [] for i in assessment_ids}
    for row in rows.scalars():
        out[row.assessment_id].append(row)
    return out


async def _answers(session: AsyncSession, assessment_id: uuid.UUID) -> list[AssessmentAnswer]:
    return (await answers_of(session, [assessment_id]))[assessment_id]


def _apply_scores(
    assessment: Assessment, instrument: Instrument, answers: Mapping[str, str]
) -> None:
    scores: _Scores = instrument.score(instrument, answers)
    assessment.overall_score = scores.overall
    assessment.dimension_scores = dict(scores.dimensions)
    assessment.rating = scores.rating.code if scores.rating else None


def _require_status(assessment: Assessment, status: AssessmentStatus) -> None:
    if assessment.status is not status:
        wanted_en, wanted_es, wanted_pt = each(ASSESSMENT_STATUSES, status)
        now_en, now_es, now_pt = each(ASSESSMENT_STATUSES, assessment.status)
        raise Conflict(
            msg(
                f"Only an assessment in state '{wanted_en}' can be changed (this one is "
                f"'{now_en}').",
                f"Solo un diagnóstico en estado '{wanted_es}' puede modificarse (este está "
                f"'{now_es}').",
                f"Só um diagnóstico no estado '{wanted_pt}' pode ser modificado (este está "
                f"'{now_pt}').",
            )
        )


async def rescore_open(
    session: AsyncSession, instrument_for: Callable[[str], Instrument | None]
) -> int:
    """Recompute the scores of assessments not yet validated (validated ones are a record of
    what was validated and keep theirs). Returns how many."""
    open_ = list(
        (
            await session.execute(
                select(Assessment)
                .where(Assessment.status != AssessmentStatus.VALIDATED)
                .order_by(Assessment.id)
            )
        ).scalars()
    )
    answers = await answers_of(session, [a.id for a in open_]) if open_ else {}
    count = 0
    for assessment in open_:
        instrument = instrument_for(assessment.instrument)
        if instrument is None:
            continue
        _apply_scores(
            assessment, instrument, {a.indicator: a.answer for a in answers[assessment.id]}
        )
        count += 1
    await session.flush()
    return count
