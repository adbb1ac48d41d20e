"""The action plan's lifecycle: DRAFT -> COCREATION -> PUBLISHED -> IMPLEMENTATION -> CLOSED,
and ARCHIVED from any state. Each transition stamps the date it happened."""

from __future__ import annotations

from datetime import datetime

from core.enums import ActionPlanStatus as S
from core.errors import Conflict
from core.i18n import msg
from core.plans.models import ActionPlan
from core.words import PLAN_STATUSES, each

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
        now_en, now_es, now_pt = each(PLAN_STATUSES, plan.status)
        to_en, to_es, to_pt = each(PLAN_STATUSES, to)
        targets = allowed_targets(plan.status)
        allowed_en = ", ".join(PLAN_STATUSES[t].en for t in targets) or "none"
        allowed_es = ", ".join(PLAN_STATUSES[t].es for t in targets) or "ninguno"
        allowed_pt = ", ".join(PLAN_STATUSES[t].pt for t in targets) or "nenhum"
        raise Conflict(
            msg(
                f"A plan in state '{now_en}' cannot move to '{to_en}' (allowed: {allowed_en}).",
                f"Un plan en estado '{now_es}' no puede pasar a '{to_es}' "
                f"(permitidos: {allowed_es}).",
                f"Um plano no estado '{now_pt}' não pode passar para '{to_pt}' "
                f"(permitidos: {allowed_pt}).",
            ),
            field="to",
            details={"allowed": [str(t) for t in targets]},
        )
    plan.status = to
    setattr(plan, STAMP[to], at)
    if to is not S.ARCHIVED:
        plan.is_public = True


def require_editable(plan: ActionPlan) -> None:
    if plan.status not in EDITABLE:
        en, es, pt = each(PLAN_STATUSES, plan.status)
        raise Conflict(
            msg(
                f"A plan in state '{en}' can no longer be edited.",
                f"Un plan en estado '{es}' ya no se puede editar.",
                f"Um plano no estado '{pt}' não pode mais ser editado.",
            )
        )


def require_reporting(plan: ActionPlan) -> None:
    if plan.status not in REPORTING:
        en, es, pt = each(PLAN_STATUSES, plan.status)
        raise Conflict(
            msg(
                f"Progress is reported on published plans and plans in implementation, not on "
                f"a plan in state '{en}'.",
                f"El avance se informa en planes publicados o en implementación, no en un plan "
                f"en estado '{es}'.",
                f"O avanço é informado em planos publicados ou em implementação, não em um plano "
                f"no estado '{pt}'.",
            )
        )
