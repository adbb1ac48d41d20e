"""Public consultation: proposals, comments and one support per participant, with optional
pre-moderation; every proposal needs a reasoned response before its plan can be published
(OGP participation and co-creation standard 4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from usina import ChannelKindSpec, Message, PluginInfo, hookimpl, msg
from usina.models import ActionPlanStatus, ContributionKind
from usina.services import participation

KIND = "consultation"


class ConsultationRules(BaseModel):
    """A consultation's rules, set when it opens."""

    premoderated: bool = False


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="consultation",
        title=msg("Public consultation", "Consulta pública"),
        description=msg(
            "Proposals, comments and supports on an action plan, each answered with reasons.",
            "Propuestas, comentarios y apoyos sobre un plan de acción, cada uno respondido "
            "con fundamentos.",
        ),
        version="1.0",
    )


@hookimpl
def register_channel_kinds() -> Sequence[ChannelKindSpec]:
    return [
        ChannelKindSpec(
            name=KIND,
            title=msg("Public consultation", "Consulta pública"),
            description=msg(
                "Open to every signed-in participant while it is open.",
                "Abierta a toda persona registrada mientras esté abierta.",
            ),
            participant_kinds=frozenset(
                {ContributionKind.PROPOSAL, ContributionKind.COMMENT, ContributionKind.SUPPORT}
            ),
            rules=ConsultationRules,
        )
    ]


@hookimpl
async def check_plan_transition(session: Any, plan: Any, to: str) -> Sequence[Message]:
    if to != ActionPlanStatus.PUBLISHED:
        return []
    missing = await participation.unanswered_proposals(session, plan.id, {KIND})
    if not missing:
        return []
    return [
        msg(
            f"{missing} proposal(s) of the consultation have no reasoned response yet.",
            f"{missing} propuesta(s) de la consulta aún no tienen respuesta fundamentada.",
        )
    ]
