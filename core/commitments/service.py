"""Commitments: the OGP template's fields, with codes unique within their plan."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.actors.models import Actor
from core.audit import service as audit
from core.commitments.links import CommitmentGap
from core.commitments.models import Commitment, CommitmentSupporter
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.enums import OgpValue
from core.errors import BadUserInput, Conflict
from core.i18n import msg
from core.identity.principal import Principal
from core.milestones.models import Milestone
from core.plans import lifecycle, versions
from core.plans.models import ActionPlan

TEXT_FIELDS = {"problem", "status_quo", "objective", "contribution"}


@dataclass(frozen=True)
class CommitmentData:
    plan_id: uuid.UUID
    code: str
    title: str
    start_date: date
    end_date: date
    problem: str = ""
    status_quo: str = ""
    objective: str = ""
    contribution: str = ""
    ogp_values: list[str] = field(default_factory=list)
    lead_agency_id: uuid.UUID | None = None
    supporting_actor_ids: list[uuid.UUID] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "code" in out:
        out["code"] = v.text("code", out["code"], max_length=32)
    if "title" in out:
        out["title"] = v.text("title", out["title"], max_length=300)
    for name in TEXT_FIELDS & out.keys():
        out[name] = v.text(name, out[name], max_length=20_000, required=False)
    if "ogp_values" in out:
        values = []
        for value in out["ogp_values"] or []:
            try:
                values.append(OgpValue(value).value)
            except ValueError:
                raise BadUserInput(
                    msg(
                        f"Unknown OGP value '{value}'.",
                        f"Valor OGP desconocido '{value}'.",
                        f"Valor OGP desconhecido '{value}'.",
                    ),
                    field="ogpValues",
                ) from None
        out["ogp_values"] = sorted(set(values))
    if "tags" in out:
        tags = [v.text("tags", tag, max_length=50) for tag in out["tags"] or []]
        if len(tags) > 20:
            raise BadUserInput(
                msg("At most 20 tags.", "Como máximo 20 etiquetas.", "No máximo 20 etiquetas."),
                field="tags",
            )
        out["tags"] = list(dict.fromkeys(tags))
    return out


async def _check_code_free(
    session: AsyncSession, plan_id: uuid.UUID, code: str, exclude: uuid.UUID | None = None
) -> None:
    query = select(Commitment.id).where(Commitment.plan_id == plan_id, Commitment.code == code)
    if exclude is not None:
        query = query.where(Commitment.id != exclude)
    if (await session.execute(query)).first() is not None:
        raise Conflict(
            msg(
                f"The plan already has a commitment '{code}'.",
                f"El plan ya tiene un compromiso '{code}'.",
                f"O plano já tem um compromisso '{code}'.",
            ),
            field="code",
        )


async def set_supporters(
    session: AsyncSession, commitment: Commitment, actor_ids: list[uuid.UUID]
) -> None:
    """Replace the commitment's supporting actors, in order."""
    for actor_id in actor_ids:
        await lookups.get(session, Actor, actor_id, field="supportingActorIds")
    await session.execute(
        delete(CommitmentSupporter).where(CommitmentSupporter.commitment_id == commitment.id)
    )
    for position, actor_id in enumerate(dict.fromkeys(actor_ids)):
        session.add(
            CommitmentSupporter(
                plan_id=commitment.plan_id,
                commitment_id=commitment.id,
                actor_id=actor_id,
                position=position,
            )
        )


async def create(session: AsyncSession, by: Principal, data: CommitmentData) -> Commitment:
    plan = await lookups.get(session, ActionPlan, data.plan_id, field="actionPlanId")
    lifecycle.require_editable(plan)
    fields = _clean(data.__dict__)
    supporters = fields.pop("supporting_actor_ids")
    v.date_range(fields["start_date"], fields["end_date"])
    v.within(
        fields["start_date"],
        fields["end_date"],
        plan.start_date,
        plan.end_date,
        outer="action plan",
        field="startDate",
    )
    if fields["lead_agency_id"] is not None:
        await lookups.get(session, Actor, fields["lead_agency_id"], field="leadAgencyId")
    await _check_code_free(session, plan.id, fields["code"])
    # Added to a published plan, it waits for the plan's changes to be published.
    commitment = Commitment(**fields, public=not versions.is_versioned(plan))
    session.add(commitment)
    await session.flush()
    await set_supporters(session, commitment, supporters)
    after = audit.snapshot(commitment) | {"supporting_actor_ids": [str(a) for a in supporters]}
    audit.record(session, by, "commitment.create", commitment, after=after)
    return commitment


async def update(
    session: AsyncSession, by: Principal, commitment_id: uuid.UUID, changes: dict[str, Any]
) -> Commitment:
    commitment = await lookups.get(session, Commitment, commitment_id, field="id")
    plan = await lookups.get(session, ActionPlan, commitment.plan_id)
    lifecycle.require_editable(plan)
    fields = _clean(changes)
    # A published plan's change waits in the draft; validated against the draft's values.
    draft = versions.is_versioned(plan) and commitment.public
    supporters = fields.pop("supporting_actor_ids", None)
    start = fields.get("start_date", versions.drafted(commitment, "start_date"))
    end = fields.get("end_date", versions.drafted(commitment, "end_date"))
    v.date_range(start, end)
    plan_start, plan_end = versions.drafted(plan, "start_date"), versions.drafted(plan, "end_date")
    v.within(start, end, plan_start, plan_end, outer="action plan", field="startDate")
    if "start_date" in fields or "end_date" in fields:
        await _check_milestones_inside(session, commitment.id, start, end)
    if fields.get("lead_agency_id") is not None:
        await lookups.get(session, Actor, fields["lead_agency_id"], field="leadAgencyId")
    if "code" in fields:
        await _check_code_free(session, plan.id, fields["code"], exclude=commitment.id)
    before = audit.snapshot(commitment)
    if draft:
        await versions.ensure_first(session, by, plan)
        published = {}
        if supporters is not None:
            fields["supporting_actor_ids"] = supporters
            published = {
                "supporting_actor_ids": (await versions.supporters_of(session, [commitment.id]))[
                    commitment.id
                ]
            }
        versions.stage(commitment, fields, published)
        await session.flush()
        after = versions.with_draft(audit.snapshot(commitment), commitment)
        audit.record(session, by, "commitment.update", commitment, before=before, after=after)
        return commitment
    for key, value in fields.items():
        setattr(commitment, key, value)
    await session.flush()
    after = audit.snapshot(commitment)
    if supporters is not None:
        await set_supporters(session, commitment, supporters)
        after["supporting_actor_ids"] = [str(a) for a in supporters]
    audit.record(session, by, "commitment.update", commitment, before=before, after=after)
    return commitment


async def _check_milestones_inside(
    session: AsyncSession, commitment_id: uuid.UUID, start: date, end: date
) -> None:
    query = select(Milestone.id).where(
        Milestone.commitment_id == commitment_id,
        (Milestone.start_date < start) | (Milestone.end_date > end),
    )
    if (await session.execute(query)).first() is not None:
        raise BadUserInput(
            msg(
                "Some milestones would fall outside the new dates.",
                "Algunos hitos quedarían fuera de las nuevas fechas.",
                "Alguns marcos ficariam fora das novas datas.",
            ),
            field="startDate",
        )


async def link_gaps(
    session: AsyncSession,
    by: Principal,
    commitment_id: uuid.UUID,
    gaps: list[tuple[uuid.UUID, str]],
    is_gap: Any,
) -> Commitment:
    """Replace the diagnostic gaps (assessment, indicator) a commitment addresses.
    ``is_gap(assessment, code, answer)`` tells whether the indicator, answered ``answer`` (or
    not at all), is a gap of the assessment's instrument, or ``None`` when it has no such
    indicator. An indicator the assessment found fulfilled is refused: it is no gap."""
    commitment = await lookups.get(session, Commitment, commitment_id, field="commitmentId")
    answers = {
        (row.assessment_id, row.indicator): row.answer
        for row in await session.execute(
            select(
                AssessmentAnswer.assessment_id, AssessmentAnswer.indicator, AssessmentAnswer.answer
            ).where(AssessmentAnswer.assessment_id.in_({a for a, _ in gaps}))
        )
    }
    for index, (assessment_id, indicator) in enumerate(gaps):
        assessment = await lookups.get(
            session, Assessment, assessment_id, field=f"gaps.{index}.assessmentId"
        )
        answer = answers.get((assessment.id, indicator))
        verdict = is_gap(assessment, indicator, answer)
        if verdict is None:
            raise BadUserInput(
                msg(
                    f"No indicator '{indicator}' in that assessment.",
                    f"No hay indicador '{indicator}' en esa evaluación.",
                    f"Não há indicador '{indicator}' nesse diagnóstico.",
                ),
                field=f"gaps.{index}.indicator",
            )
        if not verdict:
            raise BadUserInput(
                msg(
                    f"Indicator '{indicator}' is not a gap of that assessment (answered {answer}).",
                    f"El indicador '{indicator}' no es una brecha de esa evaluación "
                    f"(respuesta {answer}).",
                    f"O indicador '{indicator}' não é uma lacuna desse diagnóstico "
                    f"(resposta {answer}).",
                ),
                field=f"gaps.{index}.indicator",
            )
    await session.execute(delete(CommitmentGap).where(CommitmentGap.commitment_id == commitment.id))
    for assessment_id, indicator in dict.fromkeys(gaps):
        session.add(
            CommitmentGap(
                plan_id=commitment.plan_id,
                commitment_id=commitment.id,
                assessment_id=assessment_id,
                indicator=indicator,
            )
        )
    await session.flush()
    after = {"gaps": [[str(a), i] for a, i in gaps]}
    audit.record(session, by, "commitment.link_gaps", commitment, after=after)
    return commitment
