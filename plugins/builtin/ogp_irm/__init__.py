"""OGP IRM-style evaluation, and the participation and co-creation standards checked from data.

Per commitment: verifiability, the open government lens, potential for results, completion
(derived from progress; a reviewer may override it with a justification), "did it open
government?", and the promising-commitment flag (derived: verifiable, with the lens, and
substantial potential). Per plan: completion, and the co-creation checklist
(``cocreationChecklist``), computed from the forum, consultation, responses and progress data.
Scales follow the current IRM; the promising rule and the early-results names are documented
as unverified in the framework's description.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.builtin.ogp_irm.checklist import ChecklistQuery, checks
from usina import (
    Criterion,
    DerivationInput,
    FrameworkSpec,
    GraphQLContribution,
    Message,
    PluginInfo,
    ScaleOption,
    hookimpl,
    msg,
    setting,
)


class IrmSettings(BaseModel):
    min_consultation_days: int = setting(
        14,
        title=msg(
            "Shortest consultation (days)",
            "Consulta más corta (días)",
            "Consulta mais curta (dias)",
        ),
        description=msg(
            "The co-creation checklist asks a public consultation to stay open at least this "
            "many days.",
            "La lista de cocreación pide que una consulta pública quede abierta al menos esta "
            "cantidad de días.",
            "A lista de cocriação pede que uma consulta pública fique aberta pelo menos esta "
            "quantidade de dias.",
        ),
        ge=1,
        le=365,
    )
    forum_meetings_per_year: int = setting(
        2,
        title=msg(
            "Forum meetings a year",
            "Reuniones del foro por año",
            "Reuniões do fórum por ano",
        ),
        description=msg(
            "How often the multi-stakeholder forum must meet for the checklist to hold.",
            "Con qué frecuencia debe reunirse el foro multiactor para cumplir la lista.",
            "Com que frequência o fórum multissetorial deve se reunir para cumprir a lista.",
        ),
        ge=1,
        le=52,
    )


def _scale(*options: tuple[str, str, str, str]) -> tuple[ScaleOption, ...]:
    return tuple(ScaleOption(code, msg(en, es, pt)) for code, en, es, pt in options)


COMPLETION = _scale(
    (
        "NO_EVIDENCE_AVAILABLE",
        "No evidence available",
        "Sin evidencia disponible",
        "Sem evidência disponível",
    ),
    ("NOT_STARTED", "Not started", "No iniciado", "Não iniciado"),
    ("LIMITED", "Limited", "Limitado", "Limitado"),
    ("SUBSTANTIAL", "Substantial", "Sustancial", "Substancial"),
    ("COMPLETE", "Complete", "Completo", "Completo"),
)
YES_NO = _scale(("YES", "Yes", "Sí", "Sim"), ("NO", "No", "No", "Não"))


def _c(
    code: str,
    names: tuple[str, str, str],
    scale: tuple[ScaleOption, ...],
    derived: bool = False,
) -> Criterion:
    return Criterion(code=code, title=msg(*names), scale=scale, derived=derived)


COMMITMENT_CRITERIA = (
    _c(
        "VERIFIABILITY",
        ("Verifiability", "Verificabilidad", "Verificabilidade"),
        _scale(
            ("VERIFIABLE", "Verifiable", "Verificable", "Verificável"),
            ("NOT_VERIFIABLE", "Not verifiable", "No verificable", "Não verificável"),
        ),
    ),
    _c(
        "OPEN_GOVERNMENT_LENS",
        ("Open government lens", "Enfoque de gobierno abierto", "Enfoque de governo aberto"),
        YES_NO,
    ),
    _c(
        "POTENTIAL_FOR_RESULTS",
        ("Potential for results", "Potencial de resultados", "Potencial de resultados"),
        _scale(
            ("UNCLEAR", "Unclear", "Incierto", "Incerto"),
            ("MODEST", "Modest", "Modesto", "Modesto"),
            ("SUBSTANTIAL", "Substantial", "Sustancial", "Substancial"),
        ),
    ),
    _c("COMPLETION", ("Completion", "Cumplimiento", "Cumprimento"), COMPLETION, derived=True),
    _c(
        "DID_IT_OPEN_GOVERNMENT",
        ("Did it open government?", "¿Abrió el gobierno?", "Abriu o governo?"),
        _scale(
            ("WORSENED", "Worsened", "Empeoró", "Piorou"),
            ("DID_NOT_CHANGE", "Did not change", "No cambió", "Não mudou"),
            ("MARGINAL", "Marginal", "Marginal", "Marginal"),
            ("MAJOR", "Major", "Importante", "Importante"),
            ("OUTSTANDING", "Outstanding", "Sobresaliente", "Excepcional"),
        ),
    ),
    _c(
        "PROMISING",
        ("Promising commitment", "Compromiso prometedor", "Compromisso promissor"),
        YES_NO,
        derived=True,
    ),
)
PLAN_CRITERIA = (
    _c("COMPLETION", ("Completion", "Cumplimiento", "Cumprimento"), COMPLETION, derived=True),
    _c(
        "PARTICIPATION_LEVEL",
        (
            "Level of public influence (IAP2)",
            "Nivel de influencia pública (IAP2)",
            "Nível de influência pública (IAP2)",
        ),
        _scale(
            ("INFORM", "Inform", "Informar", "Informar"),
            ("CONSULT", "Consult", "Consultar", "Consultar"),
            ("INVOLVE", "Involve", "Involucrar", "Envolver"),
            ("COLLABORATE", "Collaborate", "Colaborar", "Colaborar"),
            ("EMPOWER", "Empower", "Empoderar", "Empoderar"),
        ),
    ),
)


def derive(data: DerivationInput) -> Mapping[str, str | None]:
    """Completion from progress; promising from the other ratings (``None`` until known)."""
    out: dict[str, str | None] = {"COMPLETION": data.completion_level}
    if data.target == "COMMITMENT":
        r = data.ratings
        if r.get("VERIFIABILITY") == "NOT_VERIFIABLE":
            out["PROMISING"] = "NO"  # a non-verifiable commitment is not assessed further
        elif None in (
            r.get("VERIFIABILITY"),
            r.get("OPEN_GOVERNMENT_LENS"),
            r.get("POTENTIAL_FOR_RESULTS"),
        ):
            out["PROMISING"] = None
        else:
            promising = (
                r.get("OPEN_GOVERNMENT_LENS") == "YES"
                and r.get("POTENTIAL_FOR_RESULTS") == "SUBSTANTIAL"
            )
            out["PROMISING"] = "YES" if promising else "NO"
    return out


DESCRIPTION: Message = msg(
    "IRM criteria after the 2020 refresh. Unverified: the exact promising-commitment rule (here: "
    "verifiable, with the lens, substantial potential) and the early-results scale (here the "
    "older 'did it open government?').",
    "Criterios del IRM tras la revisión de 2020. Sin verificar: la regla exacta de compromiso "
    "prometedor (aquí: verificable, con enfoque de gobierno abierto y potencial sustancial) y la "
    "escala de resultados tempranos (aquí la anterior '¿abrió el gobierno?').",
    "Critérios do IRM após a revisão de 2020. Sem verificar: a regra exata de compromisso "
    "promissor (aqui: verificável, com enfoque de governo aberto e potencial substancial) e a "
    "escala de resultados iniciais (aqui a anterior 'abriu o governo?').",
)


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="ogp_irm",
        title=msg(
            "OGP IRM-style evaluation",
            "Evaluación al estilo del IRM de OGP",
            "Avaliação ao estilo do IRM da OGP",
        ),
        description=DESCRIPTION,
        version="2025.1",
        settings=IrmSettings,
    )


@hookimpl
def register_frameworks() -> Sequence[FrameworkSpec]:
    return [
        FrameworkSpec(
            name="ogp_irm",
            version="2025.1",
            title=msg(
                "OGP IRM-style evaluation",
                "Evaluación al estilo del IRM de OGP",
                "Avaliação ao estilo do IRM da OGP",
            ),
            description=DESCRIPTION,
            criteria={"COMMITMENT": COMMITMENT_CRITERIA, "PLAN": PLAN_CRITERIA},
            derive=derive,
        )
    ]


@hookimpl
def register_graphql() -> Sequence[GraphQLContribution]:
    return [GraphQLContribution(name="ogp_irm", query=ChecklistQuery)]


@hookimpl
async def compute_cocreation_checklist(
    session: AsyncSession,
    plan_id: uuid.UUID,
    settings: Mapping[str, Mapping[str, Any]],
    today: date,
) -> tuple[int, int] | None:
    own = settings.get("ogp_irm", {})
    found = await checks(
        session,
        plan_id,
        min_days=int(own.get("min_consultation_days", 14)),
        meetings_per_year=int(own.get("forum_meetings_per_year", 2)),
        today=today,
    )
    return sum(check.met for check in found), len(found)
