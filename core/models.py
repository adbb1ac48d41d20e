"""Every mapped class, imported once so that metadata and mappers are complete."""

from core.actors.models import Actor
from core.audit.models import AuditEvent
from core.commitments.models import Commitment, CommitmentSupporter
from core.db.base import Base
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.milestones.models import Milestone
from core.municipalities.models import Municipality
from core.plans.models import ActionPlan
from core.progress.models import ProgressReport

__all__ = [
    "ActionPlan",
    "Actor",
    "Assessment",
    "AssessmentAnswer",
    "AuditEvent",
    "Base",
    "Commitment",
    "CommitmentSupporter",
    "Milestone",
    "Municipality",
    "ProgressReport",
]
