"""KPIs on the generic evaluation records."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from usina import BadUserInput, NotFound, Principal, msg
from usina.models import (
    Commitment,
    Evaluation,
    EvaluationStatus,
    EvaluationTarget,
    utcnow,
)
from usina.models import EvaluationRating as Rating
from usina.services import audit, lookups
from usina.services import validation as v

FRAMEWORK = "kpi"


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str
    unit: str
    baseline: float
    target: float
    measurements: list[dict[str, Any]]

    @property
    def latest(self) -> dict[str, Any] | None:
        return max(self.measurements, key=lambda m: m["on"]) if self.measurements else None

    @property
    def achievement(self) -> float | None:
        """Share of the way from baseline to target, in percent (may exceed 100 or be < 0)."""
        latest = self.latest
        if latest is None or self.target == self.baseline:
            return None
        return round(100 * (latest["value"] - self.baseline) / (self.target - self.baseline), 2)


def as_kpi(rating: Rating) -> Kpi:
    d = rating.data
    return Kpi(
        rating.criterion,
        d["name"],
        d.get("unit", ""),
        d["baseline"],
        d["target"],
        list(d.get("measurements", [])),
    )


async def _evaluation(
    session: AsyncSession, by: Principal, commitment: Commitment, create: bool
) -> Evaluation | None:
    found = (
        await session.execute(
            select(Evaluation).where(
                Evaluation.commitment_id == commitment.id, Evaluation.framework == FRAMEWORK
            )
        )
    ).scalar_one_or_none()
    if found is None and create:
        found = Evaluation(
            plan_id=commitment.plan_id,
            commitment_id=commitment.id,
            framework=FRAMEWORK,
            framework_version="1.0",
            target=EvaluationTarget.COMMITMENT,
            status=EvaluationStatus.PUBLISHED,
            reviewer=by.subject,
            published_at=utcnow(),
        )
        session.add(found)
        await session.flush()
    return found


def _finite(field: str, value: float) -> float:
    if not math.isfinite(value):
        raise BadUserInput(
            msg(
                "Must be a finite number.",
                "Debe ser un número finito.",
                "Deve ser um número finito.",
            ),
            field=field,
        )
    return float(value)


async def define(
    session: AsyncSession,
    by: Principal,
    commitment_id: uuid.UUID,
    code: str,
    name: str,
    unit: str,
    baseline: float,
    target: float,
) -> Kpi:
    commitment = await lookups.get(session, Commitment, commitment_id, field="commitmentId")
    evaluation = await _evaluation(session, by, commitment, create=True)
    assert evaluation is not None
    code = v.text("code", code, max_length=50)
    rating = (
        await session.execute(
            select(Rating).where(Rating.evaluation_id == evaluation.id, Rating.criterion == code)
        )
    ).scalar_one_or_none()
    before = audit.snapshot(rating) if rating else None
    if rating is None:
        rating = Rating(
            plan_id=commitment.plan_id, evaluation_id=evaluation.id, criterion=code, data={}
        )
        session.add(rating)
    if _finite("target", target) == _finite("baseline", baseline):
        raise BadUserInput(
            msg(
                "The target equals the baseline: there is no change to measure.",
                "La meta es igual a la línea de base: no hay cambio que medir.",
                "A meta é igual à linha de base: não há mudança a medir.",
            ),
            field="target",
        )
    rating.data = {
        "name": v.text("name", name, max_length=300),
        "unit": v.text("unit", unit, max_length=50, required=False),
        "baseline": baseline,
        "target": target,
        "measurements": list(rating.data.get("measurements", [])),
    }
    await session.flush()
    audit.record(session, by, "kpi.define", rating, before=before)
    return as_kpi(rating)


async def record(
    session: AsyncSession,
    by: Principal,
    commitment_id: uuid.UUID,
    code: str,
    value: float,
    measured_on: date,
    *,
    today: date | None = None,
) -> Kpi:
    """Record the value measured on a day (one per day: a second replaces the first); not a
    day after ``today`` (the municipality's, default the UTC date)."""
    today = today or utcnow().date()
    if measured_on > today:
        raise BadUserInput(
            msg(
                f"A value cannot be measured in the future ({measured_on}, today is {today}).",
                f"Un valor no se puede medir en el futuro ({measured_on}; hoy es {today}).",
                f"Um valor não pode ser medido no futuro ({measured_on}; hoje é {today}).",
            ),
            field="measuredOn",
        )
    commitment = await lookups.get(session, Commitment, commitment_id, field="commitmentId")
    evaluation = await _evaluation(session, by, commitment, create=False)
    rating = None
    if evaluation is not None:
        rating = (
            await session.execute(
                select(Rating).where(
                    Rating.evaluation_id == evaluation.id, Rating.criterion == code
                )
            )
        ).scalar_one_or_none()
    if rating is None:
        raise NotFound(
            msg(
                f"No KPI '{code}' on this commitment.",
                f"No hay indicador '{code}' en este compromiso.",
                f"Não há indicador '{code}' neste compromisso.",
            ),
            field="code",
        )
    # Locked and read again: values recorded at the same time are all kept.
    rating = await lookups.locked(session, Rating, rating.id, field="code")
    before = audit.snapshot(rating)
    measurements = [
        m for m in rating.data.get("measurements", []) if m["on"] != measured_on.isoformat()
    ]
    measurements.append({"on": measured_on.isoformat(), "value": _finite("value", value)})
    rating.data = {**rating.data, "measurements": sorted(measurements, key=lambda m: m["on"])}
    await session.flush()
    audit.record(session, by, "kpi.record", rating, before=before)
    return as_kpi(rating)


async def kpis_of(session: AsyncSession, commitment_id: uuid.UUID) -> list[Kpi]:
    await lookups.get(session, Commitment, commitment_id, field="commitmentId")
    rows = await session.execute(
        select(Rating)
        .join(
            Evaluation,
            (Evaluation.tenant_id == Rating.tenant_id) & (Evaluation.id == Rating.evaluation_id),
        )
        .where(Evaluation.commitment_id == commitment_id, Evaluation.framework == FRAMEWORK)
        .order_by(Rating.criterion)
    )
    return [as_kpi(r) for r in rows.scalars()]
