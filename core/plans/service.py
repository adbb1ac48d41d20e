"""Action plans: create, edit, move through the lifecycle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.db.base import utcnow
from core.enums import ActionPlanStatus
from core.identity.principal import Principal
from core.plans import lifecycle, versions
from core.plans.models import ActionPlan


@dataclass(frozen=True)
class PlanData:
    title: str
    start_date: date
    end_date: date
    summary: str = ""


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "title" in out:
        out["title"] = v.text("title", out["title"], max_length=300)
    if "summary" in out:
        out["summary"] = v.text("summary", out["summary"], max_length=20_000, required=False)
    return out


async def create(session: AsyncSession, by: Principal, data: PlanData) -> ActionPlan:
    fields = _clean(data.__dict__)
    v.date_range(fields["start_date"], fields["end_date"])
    plan = ActionPlan(**fields)
    session.add(plan)
    await session.flush()
    audit.record(session, by, "action_plan.create", plan)
    return plan


async def update(
    session: AsyncSession, by: Principal, plan_id: uuid.UUID, changes: dict[str, Any]
) -> ActionPlan:
    plan = await lookups.get(session, ActionPlan, plan_id, field="id")
    lifecycle.require_editable(plan)
    fields = _clean(changes)
    v.date_range(
        fields.get("start_date", versions.drafted(plan, "start_date")),
        fields.get("end_date", versions.drafted(plan, "end_date")),
    )
    before = audit.snapshot(plan)
    if versions.is_versioned(plan):  # the public keeps the published text until published
        await versions.ensure_first(session, by, plan)
        versions.stage(plan, fields)
    else:
        for key, value in fields.items():
            setattr(plan, key, value)
    await session.flush()
    after = versions.with_draft(audit.snapshot(plan), plan)
    audit.record(session, by, "action_plan.update", plan, before=before, after=after)
    return plan


async def transition(
    session: AsyncSession, by: Principal, plan_id: uuid.UUID, to: ActionPlanStatus
) -> ActionPlan:
    plan = await lookups.get(session, ActionPlan, plan_id, field="id")
    before = audit.snapshot(plan)
    lifecycle.transition(plan, to, utcnow())
    await session.flush()
    if to is ActionPlanStatus.PUBLISHED:  # what citizens read from now on: version 1
        await versions.freeze(session, by, plan)
    audit.record(session, by, "action_plan.transition", plan, before=before)
    return plan
