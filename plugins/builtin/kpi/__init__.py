"""KPI framework: indicators with a baseline, a target and measured values, per commitment.

Stored in the core's generic evaluation records (one published ``kpi`` evaluation per
commitment, one rating per KPI carrying its definition and measurements), so it is isolated,
audited and visible exactly like any other evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.i18n import msg
from plugins import DerivationInput, FrameworkSpec, GraphQLContribution, PluginInfo, hookimpl
from plugins.builtin.kpi.graphql import KpiMutations, KpiQuery


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="kpi",
        title=msg("Key performance indicators", "Indicadores clave de desempeño"),
        description=msg(
            "Indicators with baseline, target and measured values per commitment.",
            "Indicadores con línea de base, meta y valores medidos por compromiso.",
        ),
        version="1.0",
    )


def _derive(data: DerivationInput) -> Mapping[str, str | None]:
    return {}


@hookimpl
def register_frameworks() -> Sequence[FrameworkSpec]:
    return [
        FrameworkSpec(
            name="kpi",
            version="1.0",
            title=msg("Key performance indicators", "Indicadores clave de desempeño"),
            description=msg(
                "Each KPI is defined and measured through defineKpi and recordKpiValue.",
                "Cada indicador se define y mide con defineKpi y recordKpiValue.",
            ),
            criteria={"COMMITMENT": ()},
            derive=_derive,
        )
    ]


@hookimpl
def register_graphql() -> Sequence[GraphQLContribution]:
    return [GraphQLContribution(name="kpi", query=KpiQuery, mutation=KpiMutations)]
