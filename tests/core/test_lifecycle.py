"""The action plan lifecycle: the only legal moves, and the date of each."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product

import pytest

from core.enums import ActionPlanStatus as S
from core.errors import Conflict
from core.plans import lifecycle
from core.plans.models import ActionPlan

LEGAL = {
    (S.DRAFT, S.COCREATION),
    (S.COCREATION, S.PUBLISHED),
    (S.PUBLISHED, S.IMPLEMENTATION),
    (S.IMPLEMENTATION, S.CLOSED),
} | {(state, S.ARCHIVED) for state in S if state is not S.ARCHIVED}

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(("current", "to"), list(product(S, S)), ids=lambda s: s.value)
def test_transition_matrix(current: S, to: S) -> None:
    plan = ActionPlan(status=current, is_public=current is not S.DRAFT)
    if (current, to) in LEGAL:
        lifecycle.transition(plan, to, NOW)
        assert plan.status is to
        assert getattr(plan, lifecycle.STAMP[to]) == NOW
    else:
        with pytest.raises(Conflict):
            lifecycle.transition(plan, to, NOW)
        assert plan.status is current


def test_a_plan_becomes_public_when_it_leaves_draft_and_stays_public_when_archived() -> None:
    plan = ActionPlan(status=S.DRAFT, is_public=False)
    lifecycle.transition(plan, S.COCREATION, NOW)
    assert plan.is_public
    lifecycle.transition(plan, S.ARCHIVED, NOW)
    assert plan.is_public


def test_a_draft_archived_stays_private() -> None:
    plan = ActionPlan(status=S.DRAFT, is_public=False)
    lifecycle.transition(plan, S.ARCHIVED, NOW)
    assert not plan.is_public
