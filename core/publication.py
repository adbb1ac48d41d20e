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
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import with_loader_criteria

from core.db.base import PlanScoped
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.enums import AssessmentStatus, EvaluationStatus, Moderation
from core.evaluation.models import Evaluation, Rating
from core.participation.models import Contribution
from core.plans.models import ActionPlan


def visibility_criteria(
    tenant_id: uuid.UUID,
    *,
    sees_drafts: bool,
    sees_evaluation_drafts: bool,
    author: str | None,
) -> list[Any]:
    """The loader criteria that hide from a principal what is not published for them."""
    options: list[Any] = []
    if not sees_drafts:
        # What the public sees: plans that left DRAFT and all under them; validated
        # assessments and their answers.
        options.append(
            with_loader_criteria(ActionPlan, lambda cls: cls.is_public, include_aliases=True)
        )
        options.append(
            with_loader_criteria(
                Assessment,
                lambda cls: cls.status == AssessmentStatus.VALIDATED,
                include_aliases=True,
            )
        )
        options.append(
            with_loader_criteria(
                AssessmentAnswer,
                lambda cls: cls.assessment_id.in_(
                    select(Assessment.id)
                    .where(Assessment.tenant_id == tenant_id)
                    .where(Assessment.status == AssessmentStatus.VALIDATED)
                ),
                include_aliases=True,
            )
        )
        options.append(
            with_loader_criteria(
                PlanScoped,
                lambda cls: cls.plan_id.in_(
                    select(ActionPlan.id)
                    .where(ActionPlan.tenant_id == tenant_id)
                    .where(ActionPlan.is_public)
                ),
                include_aliases=True,
            )
        )
        options.append(
            with_loader_criteria(
                Contribution,
                (lambda cls: cls.moderation == Moderation.PUBLISHED)
                if author is None
                else (
                    lambda cls: or_(
                        cls.moderation == Moderation.PUBLISHED, cls.author_subject == author
                    )
                ),
                include_aliases=True,
            )
        )
    if not (sees_drafts or sees_evaluation_drafts):
        options.append(
            with_loader_criteria(
                Evaluation,
                lambda cls: cls.status == EvaluationStatus.PUBLISHED,
                include_aliases=True,
            )
        )
        options.append(
            with_loader_criteria(
                Rating,
                lambda cls: cls.evaluation_id.in_(
                    select(Evaluation.id)
                    .where(Evaluation.tenant_id == tenant_id)
                    .where(Evaluation.status == EvaluationStatus.PUBLISHED)
                ),
                include_aliases=True,
            )
        )
    return options
