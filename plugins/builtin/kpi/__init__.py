"""KPI framework: indicators with a baseline, a target and measured values, per commitment.

Stored in the core's generic evaluation records (one published ``kpi`` evaluation per
commitment, one rating per KPI carrying its definition and measurements), so it is isolated,
audited and visible exactly like any other evaluation.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from plugins.builtin.kpi import service
from plugins.builtin.kpi.graphql import KpiMutations, KpiQuery
from usina import (
    SYSTEM,
    DerivationInput,
    FrameworkSpec,
    GraphQLContribution,
    JobContext,
    JobSpec,
    PluginInfo,
    hookimpl,
    msg,
)

RECORD_VALUE = "kpi.record_value"


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="kpi",
        title=msg(
            "Key performance indicators",
            "Indicadores clave de desempeño",
            "Indicadores-chave de desempenho",
        ),
        description=msg(
            "Indicators with baseline, target and measured values per commitment.",
            "Indicadores con línea de base, meta y valores medidos por compromiso.",
            "Indicadores com linha de base, meta e valores medidos por compromisso.",
        ),
        version="1.0",
        events=("kpi.define", "kpi.record"),
        recompute_after=("kpi.record",),
    )


def _derive(data: DerivationInput) -> Mapping[str, str | None]:
    return {}


@hookimpl
def register_frameworks() -> Sequence[FrameworkSpec]:
    return [
        FrameworkSpec(
            name="kpi",
            version="1.0",
            title=msg(
                "Key performance indicators",
                "Indicadores clave de desempeño",
                "Indicadores-chave de desempenho",
            ),
            description=msg(
                "Each KPI is defined and measured through defineKpi and recordKpiValue.",
                "Cada indicador se define y mide con defineKpi y recordKpiValue.",
                "Cada indicador é definido e medido com defineKpi e recordKpiValue.",
            ),
            criteria={"COMMITMENT": ()},
            derive=_derive,
            measures=True,
        )
    ]


@hookimpl
def register_graphql() -> Sequence[GraphQLContribution]:
    return [GraphQLContribution(name="kpi", query=KpiQuery, mutation=KpiMutations)]


async def record_value(ctx: JobContext) -> dict[str, Any]:
    """A measured value arriving in the background (an integration, an import): recorded
    exactly as ``recordKpiValue`` records it, with its audit event, webhooks and recompute.

    Arguments: ``commitment_id``, ``code``, ``value``, ``measured_on`` (ISO date)."""
    kpi = await service.record(
        ctx.session,
        SYSTEM,
        uuid.UUID(str(ctx.args["commitment_id"])),
        str(ctx.args["code"]),
        float(ctx.args["value"]),
        date.fromisoformat(str(ctx.args["measured_on"])),
        today=datetime.now(ZoneInfo(ctx.municipality.timezone)).date()
        if ctx.municipality is not None
        else None,
    )
    return {"code": kpi.code, "achievement": kpi.achievement}


@hookimpl
def register_jobs() -> Sequence[JobSpec]:
    return [JobSpec(name=RECORD_VALUE, run=record_value, max_attempts=3)]
