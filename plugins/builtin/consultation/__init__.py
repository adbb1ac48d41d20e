"""Public consultation: proposals, comments and one support per participant, with optional
pre-moderation. Before its plan can be published, every consultation has closed (the plan
published is the one people were consulted on) and every proposal has a reasoned response
(OGP participation and co-creation standard 4)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from usina import ChannelKindSpec, Objection, ObjectionItem, PluginInfo, hookimpl, msg, setting
from usina.models import ActionPlan, ActionPlanStatus, ContributionKind, utcnow
from usina.services import participation

KIND = "consultation"


class ConsultationRules(BaseModel):
    """A consultation's rules, set when it opens."""

    premoderated: bool = setting(
        False,
        title=msg(
            "Moderate before publishing", "Moderar antes de publicar", "Moderar antes de publicar"
        ),
        description=msg(
            "Contributions and supports wait for a moderator before the public sees them.",
            "Los aportes y apoyos esperan a un moderador antes de que el público los vea.",
            "As contribuições e os apoios esperam um moderador antes que o público os veja.",
        ),
    )


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="consultation",
        title=msg("Public consultation", "Consulta pública", "Consulta pública"),
        description=msg(
            "Proposals, comments and supports on an action plan, each answered with reasons.",
            "Propuestas, comentarios y apoyos sobre un plan de acción, cada uno respondido "
            "con fundamentos.",
            "Propostas, comentários e apoios sobre um plano de ação, cada um respondido "
            "com fundamentos.",
        ),
        version="1.0",
    )


@hookimpl
def register_channel_kinds() -> Sequence[ChannelKindSpec]:
    return [
        ChannelKindSpec(
            name=KIND,
            title=msg("Public consultation", "Consulta pública", "Consulta pública"),
            description=msg(
                "Open to every signed-in participant while it is open.",
                "Abierta a toda persona registrada mientras esté abierta.",
                "Aberta a toda pessoa registrada enquanto estiver aberta.",
            ),
            participant_kinds=frozenset(
                {ContributionKind.PROPOSAL, ContributionKind.COMMENT, ContributionKind.SUPPORT}
            ),
            rules=ConsultationRules,
        )
    ]


@hookimpl
async def check_plan_transition(
    session: AsyncSession, plan: ActionPlan, to: str
) -> Sequence[Objection]:
    if to != ActionPlanStatus.PUBLISHED:
        return []
    objections = []
    still_open = await participation.not_closed(session, plan.id, {KIND}, utcnow())
    if still_open:
        objections.append(
            Objection(
                msg(
                    f"{len(still_open)} consultation(s) of the plan have not closed yet: "
                    "close them first.",
                    f"{len(still_open)} consulta(s) del plan aún no cerraron: ciérrelas antes.",
                    f"{len(still_open)} consulta(s) do plano ainda não fecharam: feche-as antes.",
                ),
                tuple(ObjectionItem("Channel", c.id, c.title) for c in still_open),
            )
        )
    missing = await participation.unanswered_proposals(session, plan.id, {KIND})
    if missing:
        objections.append(
            Objection(
                msg(
                    f"{len(missing)} proposal(s) of the consultation have no reasoned "
                    "response yet.",
                    f"{len(missing)} propuesta(s) de la consulta aún no tienen respuesta "
                    "fundamentada.",
                    f"{len(missing)} proposta(s) da consulta ainda não têm resposta fundamentada.",
                ),
                tuple(ObjectionItem("Contribution", p.id, p.title) for p in missing),
            )
        )
    return objections
