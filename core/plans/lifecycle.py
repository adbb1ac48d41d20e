"""The action plan's lifecycle: DRAFT -> COCREATION -> PUBLISHED -> IMPLEMENTATION -> CLOSED,
and ARCHIVED from any state. Each transition stamps the date it happened."""

from __future__ import annotations

from datetime import datetime

from core.enums import ActionPlanStatus as S
from core.errors import Conflict
from core.i18n import msg
from core.plans.models import ActionPlan

NEXT: dict[S, S] = {
    S.DRAFT: S.COCREATION,
    S.COCREATION: S.PUBLISHED,
    S.PUBLISHED: S.IMPLEMENTATION,
    S.IMPLEMENTATION: S.CLOSED,
}

STAMP: dict[S, str] = {
    S.COCREATION: "cocreation_at",
    S.PUBLISHED: "published_at",
    S.IMPLEMENTATION: "implementation_at",
    S.CLOSED: "closed_at",
    S.ARCHIVED: "archived_at",
}

#: States in which commitments and milestones can still be edited.
EDITABLE = frozenset({S.DRAFT, S.COCREATION, S.PUBLISHED, S.IMPLEMENTATION})
#: States in which progress is reported.
REPORTING = frozenset({S.PUBLISHED, S.IMPLEMENTATION})


def allowed_targets(current: S) -> list[S]:
    if current is S.ARCHIVED:
        return []
    return [t for t in (NEXT.get(current), S.ARCHIVED) if t is not None]


def transition(plan: ActionPlan, to: S, at: datetime) -> None:
    """Move ``plan`` to ``to`` or raise ``Conflict`` naming the allowed targets."""
    if to not in allowed_targets(plan.status):
        allowed = ", ".join(allowed_targets(plan.status)) or "none"
        raise Conflict(
            msg(
                f"A {plan.status} plan cannot move to {to} (allowed: {allowed}).",
                f"Un plan en {plan.status} no puede pasar a {to} (permitidos: {allowed}).",
            ),
            field="to",
        )
    plan.status = to
    setattr(plan, STAMP[to], at)
    if to is not S.ARCHIVED:
        plan.is_public = True


def require_editable(plan: ActionPlan) -> None:
    if plan.status not in EDITABLE:
        raise Conflict(
            msg(
                f"A {plan.status} plan can no longer be edited.",
                f"Un plan en {plan.status} ya no se puede editar.",
            )
        )


def require_reporting(plan: ActionPlan) -> None:
    if plan.status not in REPORTING:
        raise Conflict(
            msg(
                f"Progress is reported on PUBLISHED or IMPLEMENTATION plans, not {plan.status}.",
                f"El avance se informa en planes PUBLISHED o IMPLEMENTATION, no {plan.status}.",
            )
        )
