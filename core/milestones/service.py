"""Milestones: dated, weighted deliverables within their commitment's dates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.commitments.models import Commitment
from core.identity.principal import Principal
from core.milestones.models import Milestone
from core.plans import lifecycle, versions
from core.plans.models import ActionPlan


@dataclass(frozen=True)
class MilestoneData:
    commitment_id: uuid.UUID
    title: str
    start_date: date
    end_date: date
    deliverable: str = ""
    weight: float = 1.0


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "title" in out:
        out["title"] = v.text("title", out["title"], max_length=300)
    if "deliverable" in out:
        out["deliverable"] = v.text(
            "deliverable", out["deliverable"], max_length=20_000, required=False
        )
    if "weight" in out:
        out["weight"] = float(v.non_negative("weight", out["weight"]))
    return out


async def create(session: AsyncSession, by: Principal, data: MilestoneData) -> Milestone:
    commitment = await lookups.get(session, Commitment, data.commitment_id, field="commitmentId")
    plan = await lookups.get(session, ActionPlan, commitment.plan_id)
    lifecycle.require_editable(plan)
    fields = _clean(data.__dict__)
    v.date_range(fields["start_date"], fields["end_date"])
    v.within(
        fields["start_date"],
        fields["end_date"],
        commitment.start_date,
        commitment.end_date,
        outer="commitment",
        field="startDate",
    )
    # Added to a published plan, it waits for the plan's changes to be published.
    milestone = Milestone(
        plan_id=commitment.plan_id, **fields, public=not versions.is_versioned(plan)
    )
    session.add(milestone)
    await session.flush()
    audit.record(session, by, "milestone.create", milestone)
    return milestone


async def update(
    session: AsyncSession, by: Principal, milestone_id: uuid.UUID, changes: dict[str, Any]
) -> Milestone:
    milestone = await lookups.get(session, Milestone, milestone_id, field="id")
    commitment = await lookups.get(session, Commitment, milestone.commitment_id)
    plan = await lookups.get(session, ActionPlan, milestone.plan_id)
    lifecycle.require_editable(plan)
    fields = _clean(changes)
    start = fields.get("start_date", versions.drafted(milestone, "start_date"))
    end = fields.get("end_date", versions.drafted(milestone, "end_date"))
    v.date_range(start, end)
    v.within(
        start,
        end,
        versions.drafted(commitment, "start_date"),
        versions.drafted(commitment, "end_date"),
        outer="commitment",
        field="startDate",
    )
    before = audit.snapshot(milestone)
    if versions.is_versioned(plan) and milestone.public:  # waits in the draft
        await versions.ensure_first(session, by, plan)
        versions.stage(milestone, fields)
    else:
        for key, value in fields.items():
            setattr(milestone, key, value)
    await session.flush()
    after = versions.with_draft(audit.snapshot(milestone), milestone)
    audit.record(session, by, "milestone.update", milestone, before=before, after=after)
    return milestone
