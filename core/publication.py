"""What is visible to whom inside one municipality: the publication rules, in one place.

The public (and participants) see plans that left DRAFT and everything under them, validated
assessments and their answers, published contributions (and their own, while they wait for
moderation) and published evaluations. Editors see drafts; reviewers see evaluation drafts.

The rules are SQLAlchemy global WHERE criteria that ``tenants/isolation.py`` adds to every ORM
statement of a session, next to the municipality's own criterion: a new publishable entity
adds its rule here, and the tenancy module stays about tenancy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import with_loader_criteria

from core.commitments.models import Commitment
from core.db.base import PlanScoped
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.enums import AssessmentStatus, EvaluationStatus, Moderation
from core.evaluation.models import Evaluation, Rating
from core.milestones.models import Milestone
from core.participation.models import Contribution
from core.plans.models import ActionPlan


def visibility_rules(
    tenant_id: Any,
    *,
    sees_drafts: bool,
    sees_evaluation_drafts: bool,
    author: Any,
) -> list[tuple[type, Callable[[Any], Any]]]:
    """What a principal may not see, as ``(target, condition)`` pairs: a row of ``target`` (or
    of a subclass) is visible where ``condition(columns)`` holds.

    ``tenant_id`` and ``author`` are values (the ORM path, through ``visibility_criteria``) or
    bound parameters (statements built once, ``tenants/reads.py``); ``author`` is ``None`` for a
    principal without a subject. ``columns`` is a mapped class or a table's ``.c``.
    """
    rules: list[tuple[type, Callable[[Any], Any]]] = []
    if not sees_drafts:
        # What the public sees: plans that left DRAFT and all under them; validated
        # assessments and their answers.
        rules.append((ActionPlan, lambda cls: cls.is_public))
        # Added to a published plan: hidden until the plan's changes are published.
        rules.append((Commitment, lambda cls: cls.public))
        rules.append((Milestone, lambda cls: cls.public))
        rules.append((Assessment, lambda cls: cls.status == AssessmentStatus.VALIDATED))
        rules.append(
            (
                AssessmentAnswer,
                lambda cls: cls.assessment_id.in_(
                    select(Assessment.id)
                    .where(Assessment.tenant_id == tenant_id)
                    .where(Assessment.status == AssessmentStatus.VALIDATED)
                ),
            )
        )
        rules.append(
            (
                PlanScoped,
                lambda cls: cls.plan_id.in_(
                    select(ActionPlan.id)
                    .where(ActionPlan.tenant_id == tenant_id)
                    .where(ActionPlan.is_public)
                ),
            )
        )
        rules.append(
            (
                Contribution,
                (lambda cls: cls.moderation == Moderation.PUBLISHED)
                if author is None
                else (
                    lambda cls: or_(
                        cls.moderation == Moderation.PUBLISHED, cls.author_subject == author
                    )
                ),
            )
        )
    if not (sees_drafts or sees_evaluation_drafts):
        rules.append((Evaluation, lambda cls: cls.status == EvaluationStatus.PUBLISHED))
        rules.append(
            (
                Rating,
                lambda cls: cls.evaluation_id.in_(
                    select(Evaluation.id)
                    .where(Evaluation.tenant_id == tenant_id)
                    .where(Evaluation.status == EvaluationStatus.PUBLISHED)
                ),
            )
        )
    return rules


def visibility_criteria(
    tenant_id: uuid.UUID,
    *,
    sees_drafts: bool,
    sees_evaluation_drafts: bool,
    author: str | None,
) -> list[Any]:
    """The loader criteria that hide from a principal what is not published for them."""
    return [
        with_loader_criteria(target, condition, include_aliases=True)
        for target, condition in visibility_rules(
            tenant_id,
            sees_drafts=sees_drafts,
            sees_evaluation_drafts=sees_evaluation_drafts,
            author=author,
        )
    ]
