from __future__ import annotations

from datetime import date

import strawberry

from plugins.builtin.kpi import service
from usina import Info, Permission, decode_id, requires


@strawberry.type
class KpiMeasurement:
    measured_on: date
    value: float


@strawberry.type(description="A key performance indicator of a commitment.")
class Kpi:
    code: str
    name: str
    unit: str
    baseline: float
    target: float
    measurements: list[KpiMeasurement]
    latest: KpiMeasurement | None
    achievement: float | None = strawberry.field(
        description="Percent of the way from baseline to target (null without a measurement)."
    )


def kpi_type(kpi: service.Kpi) -> Kpi:
    measurements = [
        KpiMeasurement(measured_on=date.fromisoformat(m["on"]), value=m["value"])
        for m in kpi.measurements
    ]
    return Kpi(
        code=kpi.code,
        name=kpi.name,
        unit=kpi.unit,
        baseline=kpi.baseline,
        target=kpi.target,
        measurements=measurements,
        latest=measurements[-1] if measurements else None,
        achievement=kpi.achievement,
    )


@strawberry.type
class KpiQuery:
    @strawberry.field(description="A commitment's KPIs.")
    async def commitment_kpis(self, info: Info, commitment_id: strawberry.ID) -> list[Kpi]:
        context = info.context
        context.tenant()
        cid = decode_id(commitment_id, "Commitment", field="commitmentId")
        found = await context.read(lambda session: service.kpis_of(session, cid))
        return [kpi_type(k) for k in found]


@strawberry.input
class DefineKpiInput:
    commitment_id: strawberry.ID
    code: str
    name: str
    baseline: float
    target: float
    unit: str = ""


@strawberry.input
class RecordKpiValueInput:
    commitment_id: strawberry.ID
    code: str
    value: float
    measured_on: date


@strawberry.type
class KpiPayload:
    kpi: Kpi


@strawberry.type
class KpiMutations:
    @strawberry.mutation(
        description="Define (or redefine) a KPI of a commitment.",
        permission_classes=[requires(Permission.EDIT_PLANS)],
    )
    async def define_kpi(self, info: Info, input: DefineKpiInput) -> KpiPayload:
        context = info.context
        context.tenant()
        cid = decode_id(input.commitment_id, "Commitment", field="commitmentId")
        async with context.transaction() as session:
            kpi = await service.define(
                session,
                context.principal,
                cid,
                input.code,
                input.name,
                input.unit,
                input.baseline,
                input.target,
            )
        return KpiPayload(kpi=kpi_type(kpi))

    @strawberry.mutation(
        description="Record a measured value of a KPI (replaces that day's).",
        permission_classes=[requires(Permission.REPORT_PROGRESS)],
    )
    async def record_kpi_value(self, info: Info, input: RecordKpiValueInput) -> KpiPayload:
        context = info.context
        context.tenant()
        cid = decode_id(input.commitment_id, "Commitment", field="commitmentId")
        async with context.transaction() as session:
            kpi = await service.record(
                session,
                context.principal,
                cid,
                input.code,
                input.value,
                input.measured_on,
                today=context.today(),
            )
        return KpiPayload(kpi=kpi_type(kpi))
