"""The records a plugin reads and writes, and their vocabularies (plugin-author API).

Every tenant-owned model here is isolated by the session a plugin is given: a plugin never
filters by municipality itself, and never sees another municipality's rows.
"""

from core.actors.models import Actor
from core.commitments.models import Commitment
from core.db.base import utcnow
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.enums import (
    ActionPlanStatus,
    ActorKind,
    AssessmentStatus,
    ContributionKind,
    EvaluationStatus,
    EvaluationTarget,
    MilestoneStatus,
    Moderation,
)
from core.evaluation.models import Evaluation
from core.evaluation.models import Rating as EvaluationRating
from core.milestones.models import Milestone
from core.participation.models import Channel, ChannelMember, Contribution
from core.plans.models import ActionPlan
from core.progress.models import ProgressReport

__all__ = [
    "ActionPlan",
    "ActionPlanStatus",
    "Actor",
    "ActorKind",
    "Assessment",
    "AssessmentAnswer",
    "AssessmentStatus",
    "Channel",
    "ChannelMember",
    "Commitment",
    "Contribution",
    "ContributionKind",
    "Evaluation",
    "EvaluationRating",
    "EvaluationStatus",
    "EvaluationTarget",
    "Milestone",
    "MilestoneStatus",
    "Moderation",
    "ProgressReport",
    "utcnow",
]
