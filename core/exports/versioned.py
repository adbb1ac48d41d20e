"""An export of a published version: the plan's text, commitments and milestones as that
version published them, with today's progress (progress is live, not part of a version)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import inspect

from core.commitments.models import Commitment
from core.exports.plan import PlanData
from core.milestones.models import Milestone
from core.plans import versions
from core.plans.models import ActionPlan, PlanVersion

T = TypeVar("T", ActionPlan, Commitment, Milestone)


def _detached(model: type[T], live: Any, kept: dict[str, Any], names: dict[str, str]) -> T:
    """A new, unsaved ``model`` object: ``live``'s columns with the version's text over them
    (the live rows stay untouched: the export's session commits)."""
    values = {a.key: getattr(live, a.key) for a in inspect(model).column_attrs} if live else {}
    for key, out in names.items():
        if out in kept and key != "supporting_actor_ids":
            value = kept[out]
            values[key] = date.fromisoformat(value) if key in versions.DATES else value
    if "lead_agency_id" in values and isinstance(values["lead_agency_id"], str):
        values["lead_agency_id"] = uuid.UUID(values["lead_agency_id"])
    values["pending"] = None
    return model(**values)


def at_version(data: PlanData, version: PlanVersion) -> PlanData:
    content = version.content
    live_commitments = {c.id: c for c in data.commitments}
    live_milestones = {m.id: m for ms in data.milestones.values() for m in ms}
    commitments: list[Commitment] = []
    milestones: dict[uuid.UUID, list[Milestone]] = {}
    supporters: dict[uuid.UUID, list[uuid.UUID]] = {}
    for kept in content["commitments"]:
        cid = uuid.UUID(kept["id"])
        commitment = _detached(
            Commitment, live_commitments.get(cid), kept, versions.COMMITMENT_FIELDS
        )
        commitment.id, commitment.plan_id = cid, data.plan.id
        commitments.append(commitment)
        supporters[cid] = [uuid.UUID(a) for a in kept["supportingActorIds"]]
        milestones[cid] = []
        for kept_milestone in kept["milestones"]:
            mid = uuid.UUID(kept_milestone["id"])
            milestone = _detached(
                Milestone, live_milestones.get(mid), kept_milestone, versions.MILESTONE_FIELDS
            )
            milestone.id, milestone.commitment_id = mid, cid
            milestones[cid].append(milestone)
    return dataclasses.replace(
        data,
        plan=_detached(ActionPlan, data.plan, content, versions.PLAN_FIELDS),
        commitments=commitments,
        milestones=milestones,
        supporters=supporters,
        version=version.number,
    )
