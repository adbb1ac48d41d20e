"""Published versions of a plan, their changelogs, and the draft's pending changes."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from core.enums import OgpValue
from core.identity.roles import Permission
from core.plans.models import PlanVersion as VersionRow
from core.plans.versions import COMMITMENT_FIELDS, MILESTONE_FIELDS, PLAN_FIELDS
from graphql_schema.context import Info
from graphql_schema.relay import to_global_id

#: Keys whose values are ids, and the type they name.
ID_KEYS = {"leadAgencyId": "Actor", "supportingActorIds": "Actor"}


def _value(key: str, value: Any) -> Any:
    """A kept value as the API shows it: ids as global ids."""
    kind = ID_KEYS.get(key)
    if kind is None or value is None:
        return value
    if isinstance(value, list):
        return [to_global_id(kind, v) for v in value]
    return to_global_id(kind, value)


@strawberry.type(description="One field's value before and after a change.")
class FieldChange:
    field: str = strawberry.field(description="The field's name in the API (camelCase).")
    before: JSON | None
    after: JSON | None


@strawberry.enum(description="What happened to a record between two versions.")
class VersionChangeKind(Enum):
    ADDED = "ADDED"
    CHANGED = "CHANGED"
    REMOVED = "REMOVED"


@strawberry.type(description="A record of the plan that changed since the version before.")
class VersionChange:
    type: str = strawberry.field(description="ActionPlan, Commitment or Milestone.")
    id: strawberry.ID
    label: str = strawberry.field(description="Its title (a commitment's code and title).")
    change: VersionChangeKind
    fields: list[FieldChange] = strawberry.field(description="The changed fields (CHANGED).")


@strawberry.type(description="A milestone as a version published it.")
class VersionedMilestone:
    id: strawberry.ID
    title: str
    deliverable: str
    start_date: date
    end_date: date
    weight: float


@strawberry.type(description="A commitment as a version published it.")
class VersionedCommitment:
    id: strawberry.ID
    code: str
    title: str
    problem: str
    status_quo: str
    objective: str
    contribution: str
    ogp_values: list[OgpValue]
    tags: list[str]
    lead_agency_id: strawberry.ID | None
    supporting_actor_ids: list[strawberry.ID]
    start_date: date
    end_date: date
    milestones: list[VersionedMilestone]


@strawberry.type(
    description="A published version of a plan: its text, commitments and milestones as "
    "citizens read them from its publication on, and what changed since the version before. "
    "Progress is live and is not part of a version."
)
class PlanVersion:
    row: strawberry.Private[Any]
    number: int
    published_at: datetime
    note: str
    title: str
    summary: str
    start_date: date
    end_date: date

    @strawberry.field(description="What changed since the version before (empty for the first).")
    def changes(self) -> list[VersionChange]:
        plan_id = to_global_id("ActionPlan", self.row.plan_id)
        return [
            VersionChange(
                type=entry["type"],
                id=strawberry.ID(
                    plan_id
                    if entry["type"] == "ActionPlan"
                    else to_global_id(entry["type"], entry["id"])
                ),
                label=entry["label"],
                change=VersionChangeKind(entry["change"]),
                fields=[
                    FieldChange(
                        field=f["field"],
                        before=_value(f["field"], f["before"]),
                        after=_value(f["field"], f["after"]),
                    )
                    for f in entry.get("fields", [])
                ],
            )
            for entry in self.row.changes
        ]

    @strawberry.field(description="Its commitments, by code, with their milestones.")
    def commitments(self) -> list[VersionedCommitment]:
        return [
            VersionedCommitment(
                id=strawberry.ID(to_global_id("Commitment", c["id"])),
                code=c["code"],
                title=c["title"],
                problem=c["problem"],
                status_quo=c["statusQuo"],
                objective=c["objective"],
                contribution=c["contribution"],
                ogp_values=[OgpValue(v) for v in c["ogpValues"]],
                tags=list(c["tags"]),
                lead_agency_id=_value("leadAgencyId", c["leadAgencyId"]),
                supporting_actor_ids=_value("supportingActorIds", c["supportingActorIds"]),
                start_date=date.fromisoformat(c["startDate"]),
                end_date=date.fromisoformat(c["endDate"]),
                milestones=[
                    VersionedMilestone(
                        id=strawberry.ID(to_global_id("Milestone", m["id"])),
                        title=m["title"],
                        deliverable=m["deliverable"],
                        start_date=date.fromisoformat(m["startDate"]),
                        end_date=date.fromisoformat(m["endDate"]),
                        weight=m["weight"],
                    )
                    for m in c["milestones"]
                ],
            )
            for c in self.row.content["commitments"]
        ]


def version_of(row: VersionRow | Any) -> PlanVersion:
    content = row.content
    return PlanVersion(
        row=row,
        number=row.number,
        published_at=row.published_at,
        note=row.note,
        title=content["title"],
        summary=content["summary"],
        start_date=date.fromisoformat(content["startDate"]),
        end_date=date.fromisoformat(content["endDate"]),
    )


async def versions_of(info: Info, plan_id: Any) -> list[PlanVersion]:
    rows = await info.context.loaders.children(VersionRow, "plan_id", ("number",)).load(plan_id)
    return [version_of(row) for row in rows]


#: Column -> API name, for every kind of record a draft changes.
API_NAMES = {**PLAN_FIELDS, **COMMITMENT_FIELDS, **MILESTONE_FIELDS}


def pending_changes(info: Info, row: Any) -> list[FieldChange]:
    """The changes of ``row`` that wait for publication, with the published values; shown to
    those who read drafts (empty for everyone else)."""
    pending = getattr(row, "pending", None)
    if not pending or not info.context.principal.can(Permission.READ_DRAFTS):
        return []
    changes = []
    for key, value in pending.items():
        name = API_NAMES.get(key, key)
        published = getattr(row, key, None)
        if isinstance(published, date):
            published = published.isoformat()
        elif published is not None and not isinstance(published, str | int | float | list):
            published = str(published)
        changes.append(
            FieldChange(
                field=name,
                before=None if key == "supporting_actor_ids" else _value(name, published),
                after=_value(name, value),
            )
        )
    return changes
