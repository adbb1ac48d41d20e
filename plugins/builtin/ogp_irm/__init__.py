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

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from plugins.builtin.ogp_irm.checklist import ChecklistQuery
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
)


class IrmSettings(BaseModel):
    min_consultation_days: int = Field(default=14, ge=1, le=365)
    forum_meetings_per_year: int = Field(default=2, ge=1, le=52)


def _scale(*options: tuple[str, str, str]) -> tuple[ScaleOption, ...]:
    return tuple(ScaleOption(code, msg(en, es)) for code, en, es in options)


COMPLETION = _scale(
    ("NO_EVIDENCE_AVAILABLE", "No evidence available", "Sin evidencia disponible"),
    ("NOT_STARTED", "Not started", "No iniciado"),
    ("LIMITED", "Limited", "Limitado"),
    ("SUBSTANTIAL", "Substantial", "Sustancial"),
    ("COMPLETE", "Complete", "Completo"),
)
YES_NO = _scale(("YES", "Yes", "Sí"), ("NO", "No", "No"))


def _c(
    code: str, en: str, es: str, scale: tuple[ScaleOption, ...], derived: bool = False
) -> Criterion:
    return Criterion(code=code, title=msg(en, es), scale=scale, derived=derived)


COMMITMENT_CRITERIA = (
    _c(
        "VERIFIABILITY",
        "Verifiability",
        "Verificabilidad",
        _scale(
            ("VERIFIABLE", "Verifiable", "Verificable"),
            ("NOT_VERIFIABLE", "Not verifiable", "No verificable"),
        ),
    ),
    _c("OPEN_GOVERNMENT_LENS", "Open government lens", "Enfoque de gobierno abierto", YES_NO),
    _c(
        "POTENTIAL_FOR_RESULTS",
        "Potential for results",
        "Potencial de resultados",
        _scale(
            ("UNCLEAR", "Unclear", "Incierto"),
            ("MODEST", "Modest", "Modesto"),
            ("SUBSTANTIAL", "Substantial", "Sustancial"),
        ),
    ),
    _c("COMPLETION", "Completion", "Cumplimiento", COMPLETION, derived=True),
    _c(
        "DID_IT_OPEN_GOVERNMENT",
        "Did it open government?",
        "¿Abrió el gobierno?",
        _scale(
            ("WORSENED", "Worsened", "Empeoró"),
            ("DID_NOT_CHANGE", "Did not change", "No cambió"),
            ("MARGINAL", "Marginal", "Marginal"),
            ("MAJOR", "Major", "Importante"),
            ("OUTSTANDING", "Outstanding", "Sobresaliente"),
        ),
    ),
    _c("PROMISING", "Promising commitment", "Compromiso prometedor", YES_NO, derived=True),
)
PLAN_CRITERIA = (
    _c("COMPLETION", "Completion", "Cumplimiento", COMPLETION, derived=True),
    _c(
        "PARTICIPATION_LEVEL",
        "Level of public influence (IAP2)",
        "Nivel de influencia pública (IAP2)",
        _scale(
            ("INFORM", "Inform", "Informar"),
            ("CONSULT", "Consult", "Consultar"),
            ("INVOLVE", "Involve", "Involucrar"),
            ("COLLABORATE", "Collaborate", "Colaborar"),
            ("EMPOWER", "Empower", "Empoderar"),
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
)


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="ogp_irm",
        title=msg("OGP IRM-style evaluation", "Evaluación al estilo del IRM de OGP"),
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
            title=msg("OGP IRM-style evaluation", "Evaluación al estilo del IRM de OGP"),
            description=DESCRIPTION,
            criteria={"COMMITMENT": COMMITMENT_CRITERIA, "PLAN": PLAN_CRITERIA},
            derive=derive,
        )
    ]


@hookimpl
def register_graphql() -> Sequence[GraphQLContribution]:
    return [GraphQLContribution(name="ogp_irm", query=ChecklistQuery)]
