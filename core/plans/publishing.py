"""Publishing a plan's changes: the draft becomes what citizens read, as its next version."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core.audit import service as audit
from core.commitments import service as commitments
from core.commitments.models import Commitment
from core.errors import Conflict
from core.i18n import msg
from core.identity.principal import Principal
from core.milestones.models import Milestone
from core.plans import versions
from core.plans.models import ActionPlan, PlanVersion


def _apply(row: Any) -> dict[str, Any]:
    """Move ``row``'s pending changes into its columns; what was not a column is returned."""
    rest: dict[str, Any] = {}
    for key, value in (row.pending or {}).items():
        decoded = versions.decode(key, value)
        if hasattr(type(row), key):
            setattr(row, key, decoded)
        else:
            rest[key] = decoded
    row.pending = None
    row.public = True
    return rest


async def publish_changes(
    session: AsyncSession, by: Principal, plan_id: uuid.UUID, note: str = ""
) -> PlanVersion:
    """Apply every pending change of the plan, publish what was added since its last version
    and freeze the result as the next version. ``CONFLICT`` when nothing changed."""
    plan = await lookups.get(session, ActionPlan, plan_id, field="actionPlanId")
    if not versions.is_versioned(plan):
        raise Conflict(
            msg(
                "Only a published plan or a plan in implementation publishes changes.",
                "Solo un plan publicado o en implementación publica cambios.",
                "Só um plano publicado ou em implementação publica mudanças.",
            ),
            field="actionPlanId",
        )
    await versions.ensure_first(session, by, plan)
    changed_commitments = list(
        (
            await session.execute(
                select(Commitment).where(
                    Commitment.plan_id == plan.id,
                    or_(Commitment.pending.is_not(None), ~Commitment.public),
                )
            )
        ).scalars()
    )
    changed_milestones = list(
        (
            await session.execute(
                select(Milestone).where(
                    Milestone.plan_id == plan.id,
                    or_(Milestone.pending.is_not(None), ~Milestone.public),
                )
            )
        ).scalars()
    )
    if plan.pending is None and not changed_commitments and not changed_milestones:
        raise Conflict(
            msg(
                "Nothing changed since the last published version.",
                "Nada cambió desde la última versión publicada.",
                "Nada mudou desde a última versão publicada.",
            ),
            field="actionPlanId",
        )
    before = audit.snapshot(plan)
    for key, value in (plan.pending or {}).items():
        setattr(plan, key, versions.decode(key, value))
    plan.pending = None
    for commitment in changed_commitments:
        rest = _apply(commitment)
        if "supporting_actor_ids" in rest:
            await commitments.set_supporters(session, commitment, rest["supporting_actor_ids"])
    for milestone in changed_milestones:
        _apply(milestone)
    version = await versions.freeze(session, by, plan, note)
    audit.record(
        session,
        by,
        "action_plan.publish_changes",
        plan,
        before=before,
        after=audit.snapshot(plan) | {"version": version.number, "changes": len(version.changes)},
    )
    return version
