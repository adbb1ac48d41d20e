"""The OGP participation and co-creation standards' minimum requirements, checked from data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from usina import Info, Message, Text, decode_id, msg, text
from usina.models import (
    ActionPlan,
    Actor,
    ActorKind,
    Channel,
    ChannelMember,
    Contribution,
    ContributionKind,
    Moderation,
    ProgressReport,
    utcnow,
)
from usina.services import lookups, participation

FORUM, CONSULTATION = "forum", "consultation"


@strawberry.type(description="One minimum requirement of the co-creation standards.")
class ChecklistItem:
    code: str
    standard: str = strawberry.field(description="The OGP standard it belongs to, e.g. '4.1'.")
    title: Text
    met: bool
    detail: Text


@strawberry.type
class CocreationChecklist:
    items: list[ChecklistItem]
    met_count: int
    total: int


@dataclass(frozen=True)
class Check:
    code: str
    standard: str
    title: Message
    met: bool
    detail: Message


async def checks(
    session: AsyncSession, plan_id: uuid.UUID, *, min_days: int, meetings_per_year: int, today: date
) -> list[Check]:
    plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
    channels = list(
        (await session.execute(select(Channel).where(Channel.plan_id == plan.id))).scalars()
    )
    forums = [c.id for c in channels if c.kind == FORUM]
    consultations = [c for c in channels if c.kind == CONSULTATION]
    kinds = set(
        (
            await session.execute(
                select(Actor.kind)
                .join(
                    ChannelMember,
                    (ChannelMember.tenant_id == Actor.tenant_id)
                    & (ChannelMember.actor_id == Actor.id),
                )
                .where(ChannelMember.channel_id.in_(forums))
            )
        ).scalars()
    )
    mixed = ActorKind.GOVERNMENT in kinds and bool(kinds - {ActorKind.GOVERNMENT})
    meetings = (
        await session.execute(
            select(Contribution.data).where(
                Contribution.channel_id.in_(forums), Contribution.kind == ContributionKind.MEETING
            )
        )
    ).scalars()
    year_ago = today - timedelta(days=365)
    recent = sum(
        1
        for data in meetings
        if year_ago <= date.fromisoformat(data.get("held_on", "1900-01-01")) <= today
    )
    # The days each consultation really took input before the plan was published (or until
    # now): a consultation closed by hand counts until it closed, not to its scheduled date.
    until = plan.published_at or utcnow()
    longest = max((participation.days_open(c, until) for c in consultations), default=0)
    proposals, unanswered = (
        await session.execute(
            select(func.count(), func.count().filter(Contribution.outcome.is_(None))).where(
                Contribution.plan_id == plan.id,
                Contribution.kind == ContributionKind.PROPOSAL,
                Contribution.moderation == Moderation.PUBLISHED,
            )
        )
    ).one()
    reports = (
        await session.execute(
            select(func.count())
            .select_from(ProgressReport)
            .where(ProgressReport.plan_id == plan.id)
        )
    ).scalar_one()
    return [
        Check(
            "FORUM_EXISTS",
            "1.1",
            msg(
                "A multi-stakeholder forum exists",
                "Existe un foro multiactor",
                "Existe um fórum multiatores",
            ),
            bool(forums) and mixed,
            msg(
                f"{len(forums)} forum(s); members from government and non-government: {'yes' if mixed else 'no'}.",
                f"{len(forums)} foro(s); miembros gubernamentales y no gubernamentales: {'sí' if mixed else 'no'}.",
                f"{len(forums)} fórum(ns); membros governamentais e não governamentais: {'sim' if mixed else 'não'}.",
            ),
        ),
        Check(
            "FORUM_MEETS",
            "1.1 / 5.1",
            msg(
                "The forum meets regularly",
                "El foro se reúne con regularidad",
                "O fórum se reúne com regularidade",
            ),
            recent >= meetings_per_year,
            msg(
                f"{recent} meeting(s) in the last 12 months (at least {meetings_per_year}).",
                f"{recent} reunión(es) en los últimos 12 meses (al menos {meetings_per_year}).",
                f"{recent} reunião(ões) nos últimos 12 meses (pelo menos {meetings_per_year}).",
            ),
        ),
        Check(
            "PLAN_PUBLISHED",
            "2.1",
            msg("The plan is published", "El plan está publicado", "O plano está publicado"),
            plan.published_at is not None,
            msg(
                f"Published: {plan.published_at:%Y-%m-%d}."
                if plan.published_at
                else "Not published yet.",
                f"Publicado: {plan.published_at:%Y-%m-%d}."
                if plan.published_at
                else "Aún no publicado.",
                f"Publicado: {plan.published_at:%Y-%m-%d}."
                if plan.published_at
                else "Ainda não publicado.",
            ),
        ),
        Check(
            "CONSULTATION_OPEN_LONG_ENOUGH",
            "3",
            msg(
                "Public input was gathered long enough",
                "Se recogieron aportes el tiempo suficiente",
                "Foram recolhidas contribuições por tempo suficiente",
            ),
            longest >= min_days,
            msg(
                f"Longest consultation: {longest} day(s) (at least {min_days}).",
                f"Consulta más larga: {longest} día(s) (al menos {min_days}).",
                f"Consulta mais longa: {longest} dia(s) (pelo menos {min_days}).",
            ),
        ),
        Check(
            "REASONED_RESPONSES",
            "4.1",
            msg(
                "Every proposal got a reasoned response",
                "Cada propuesta recibió una respuesta fundamentada",
                "Cada proposta recebeu uma resposta fundamentada",
            ),
            proposals > 0 and unanswered == 0,
            msg(
                f"{proposals - unanswered} of {proposals} proposal(s) answered.",
                f"{proposals - unanswered} de {proposals} propuesta(s) respondidas.",
                f"{proposals - unanswered} de {proposals} proposta(s) respondidas.",
            ),
        ),
        Check(
            "PROGRESS_PUBLISHED",
            "2.2",
            msg(
                "Progress is reported publicly",
                "El avance se informa públicamente",
                "O avanço é informado publicamente",
            ),
            reports > 0,
            msg(
                f"{reports} progress report(s).",
                f"{reports} informe(s) de avance.",
                f"{reports} relatório(s) de avanço.",
            ),
        ),
    ]


@strawberry.type
class ChecklistQuery:
    @strawberry.field(
        description="The OGP participation and co-creation standards' minimum requirements, "
        "checked from the plan's data (forum, consultation, responses, publication, progress)."
    )
    async def cocreation_checklist(
        self, info: Info, action_plan_id: strawberry.ID
    ) -> CocreationChecklist:
        context = info.context
        context.tenant()
        plan_id = decode_id(action_plan_id, "ActionPlan", field="actionPlanId")
        settings = await context.plugin_settings("ogp_irm")
        found = await context.read(
            lambda session: checks(
                session,
                plan_id,
                min_days=int(settings.get("min_consultation_days", 14)),
                meetings_per_year=int(settings.get("forum_meetings_per_year", 2)),
                today=context.today(),
            )
        )
        items = [
            ChecklistItem(
                code=c.code,
                standard=c.standard,
                title=text(c.title),
                met=c.met,
                detail=text(c.detail),
            )
            for c in found
        ]
        return CocreationChecklist(
            items=items, met_count=sum(i.met for i in items), total=len(items)
        )
