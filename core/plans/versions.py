"""Published versions of an action plan: what citizens read, frozen at each publication.

Publishing a plan freezes version 1. From then on editors work on a draft: a change to the
plan's, a commitment's or a milestone's text waits in the row's ``pending`` column, and a
commitment or milestone added since waits unpublished (``public`` false), while the public
keeps reading the published text. Publishing the changes (``core/plans/publishing.py``) applies
them and freezes the next version, whose changelog is computed by comparing it with the one
before. Progress (reports, milestone states) is a fact, not plan text: it stays live and is in
no version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.commitments.models import Commitment, CommitmentSupporter
from core.db.base import utcnow
from core.enums import ActionPlanStatus
from core.errors import NotFound
from core.i18n import msg
from core.identity.principal import Principal
from core.milestones.models import Milestone
from core.plans.models import ActionPlan, PlanVersion

#: States in which the public reads a published version and editors change a draft.
VERSIONED = frozenset({ActionPlanStatus.PUBLISHED, ActionPlanStatus.IMPLEMENTATION})

#: The text of each record that a version keeps: column -> key in the version (camelCase).
PLAN_FIELDS = {
    "title": "title",
    "summary": "summary",
    "start_date": "startDate",
    "end_date": "endDate",
}
COMMITMENT_FIELDS = {
    "code": "code",
    "title": "title",
    "problem": "problem",
    "status_quo": "statusQuo",
    "objective": "objective",
    "contribution": "contribution",
    "ogp_values": "ogpValues",
    "tags": "tags",
    "lead_agency_id": "leadAgencyId",
    "supporting_actor_ids": "supportingActorIds",
    "start_date": "startDate",
    "end_date": "endDate",
}
MILESTONE_FIELDS = {
    "title": "title",
    "deliverable": "deliverable",
    "start_date": "startDate",
    "end_date": "endDate",
    "weight": "weight",
}
DATES = frozenset({"start_date", "end_date"})


def is_versioned(plan: ActionPlan) -> bool:
    return plan.status in VERSIONED


def encode(value: Any) -> Any:
    """A field's value as a version (and a pending change) keeps it: JSON."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(key: str, value: Any) -> Any:
    """A pending change's value as the column takes it."""
    if value is None:
        return None
    if key in DATES:
        return date.fromisoformat(value)
    if key == "lead_agency_id":
        return uuid.UUID(value)
    if key == "supporting_actor_ids":
        return [uuid.UUID(v) for v in value]
    return value


def drafted(row: Any, key: str, published: Any = None) -> Any:
    """``key`` of ``row`` as the draft has it: its pending change, or the published value
    (``published``, for a value that is not a column, such as the supporters)."""
    pending = row.pending or {}
    if key in pending:
        return decode(key, pending[key])
    return getattr(row, key) if published is None else published


def stage(row: Any, fields: dict[str, Any], published: dict[str, Any] | None = None) -> None:
    """Keep ``fields`` as ``row``'s pending changes; a value back to the published one is
    no change any more. ``published`` gives values that are not columns."""
    pending = dict(row.pending or {})
    for key, value in fields.items():
        current = (published or {}).get(key, getattr(row, key, None))
        if encode(value) == encode(current):
            pending.pop(key, None)
        else:
            pending[key] = encode(value)
    row.pending = pending or None


def with_draft(snapshot: dict[str, Any], row: Any) -> dict[str, Any]:
    """An audit snapshot of ``row`` as its draft now reads (its pending changes over it)."""
    return snapshot | dict(row.pending or {})


@dataclass(frozen=True)
class Published:
    """A plan's published commitments (by code), their milestones (by date) and supporters."""

    commitments: list[Commitment]
    milestones: dict[uuid.UUID, list[Milestone]]
    supporters: dict[uuid.UUID, list[uuid.UUID]]


async def published(session: AsyncSession, plan_id: uuid.UUID) -> Published:
    """What the public reads of a plan's commitments now: those added since the last version
    wait for the next one. The one read of a plan's tree for versions and for exports."""
    commitments = list(
        (
            await session.execute(
                select(Commitment)
                .where(Commitment.plan_id == plan_id, Commitment.public)
                .order_by(Commitment.code)
            )
        ).scalars()
    )
    ids = [c.id for c in commitments]
    milestones: dict[uuid.UUID, list[Milestone]] = {i: [] for i in ids}
    if ids:
        for m in (
            await session.execute(
                select(Milestone)
                .where(Milestone.commitment_id.in_(ids), Milestone.public)
                .order_by(Milestone.start_date, Milestone.id)
            )
        ).scalars():
            milestones[m.commitment_id].append(m)
    return Published(commitments, milestones, await supporters_of(session, ids))


async def supporters_of(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The supporting actors of each commitment, in order."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if ids:
        for commitment_id, actor_id in await session.execute(
            select(CommitmentSupporter.commitment_id, CommitmentSupporter.actor_id)
            .where(CommitmentSupporter.commitment_id.in_(ids))
            .order_by(CommitmentSupporter.position)
        ):
            found[commitment_id].append(actor_id)
    return found


async def content(session: AsyncSession, plan: ActionPlan) -> dict[str, Any]:
    """The plan as the public reads it now: its published text, public commitments and
    milestones (in code and date order)."""
    tree = await published(session, plan.id)
    commitments, milestones, supporters = tree.commitments, tree.milestones, tree.supporters

    def fields(row: Any, names: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
        return {
            out: encode(extra[key] if key in extra else getattr(row, key))
            for key, out in names.items()
        }

    return {
        **fields(plan, PLAN_FIELDS, {}),
        "commitments": [
            {
                "id": str(c.id),
                **fields(c, COMMITMENT_FIELDS, {"supporting_actor_ids": supporters[c.id]}),
                "milestones": [
                    {"id": str(m.id), **fields(m, MILESTONE_FIELDS, {})} for m in milestones[c.id]
                ],
            }
            for c in commitments
        ],
    }


def changelog(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed from one version's content to the next: one entry per record added,
    removed (no longer published) or changed, naming the changed fields with both values."""
    if before is None:
        return []
    entries: list[dict[str, Any]] = []

    def compare(kind: str, record_id: str, label: str, old: Any, new: Any) -> None:
        if old is None:
            entries.append({"type": kind, "id": record_id, "label": label, "change": "ADDED"})
            return
        if new is None:
            entries.append({"type": kind, "id": record_id, "label": label, "change": "REMOVED"})
            return
        fields = [
            {"field": key, "before": old.get(key), "after": new.get(key)}
            for key in new
            if key not in ("id", "milestones", "commitments") and old.get(key) != new.get(key)
        ]
        if fields:
            entries.append(
                {
                    "type": kind,
                    "id": record_id,
                    "label": label,
                    "change": "CHANGED",
                    "fields": fields,
                }
            )

    compare("ActionPlan", "", after["title"], before, after)
    old_commitments = {c["id"]: c for c in before["commitments"]}
    new_commitments = {c["id"]: c for c in after["commitments"]}
    for cid in list(new_commitments) + [c for c in old_commitments if c not in new_commitments]:
        old, new = old_commitments.get(cid), new_commitments.get(cid)
        shown = new or old
        assert shown is not None
        compare("Commitment", cid, f"{shown['code']} {shown['title']}", old, new)
        old_ms = {m["id"]: m for m in (old or {}).get("milestones", [])}
        new_ms = {m["id"]: m for m in (new or {}).get("milestones", [])}
        for mid in list(new_ms) + [m for m in old_ms if m not in new_ms]:
            milestone = new_ms.get(mid) or old_ms[mid]
            compare("Milestone", mid, milestone["title"], old_ms.get(mid), new_ms.get(mid))
    return entries


async def latest(session: AsyncSession, plan_id: uuid.UUID) -> PlanVersion | None:
    return (
        await session.execute(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan_id)
            .order_by(PlanVersion.number.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def by_number(
    session: AsyncSession, plan_id: uuid.UUID, number: int, *, field: str = "version"
) -> PlanVersion:
    """The plan's version ``number``, or ``NOT_FOUND`` naming ``field``."""
    found = (
        await session.execute(
            select(PlanVersion).where(PlanVersion.plan_id == plan_id, PlanVersion.number == number)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(
            msg(
                f"The plan has no published version {number}.",
                f"El plan no tiene una versión publicada {number}.",
                f"O plano não tem uma versão publicada {number}.",
            ),
            field=field,
        )
    return found


async def freeze(
    session: AsyncSession, by: Principal, plan: ActionPlan, note: str = ""
) -> PlanVersion:
    """Freeze the plan as the public now reads it as its next version."""
    await session.flush()
    previous = await latest(session, plan.id)
    now = await content(session, plan)
    version = PlanVersion(
        plan_id=plan.id,
        number=(previous.number + 1) if previous else 1,
        published_at=utcnow(),
        published_by=by.subject,
        note=note,
        content=now,
        changes=changelog(previous.content if previous else None, now),
    )
    session.add(version)
    await session.flush()
    return version


async def ensure_first(session: AsyncSession, by: Principal, plan: ActionPlan) -> None:
    """A plan published before versions existed: its published text becomes version 1
    before a first change is kept as a draft."""
    found = await session.scalar(
        select(func.count()).select_from(PlanVersion).where(PlanVersion.plan_id == plan.id)
    )
    if not found:
        await freeze(session, by, plan)
