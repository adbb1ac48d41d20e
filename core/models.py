"""Every mapped class of the core, imported once so that metadata and mappers are complete.

(``tenants/plugin_activations.py`` maps one more table, the plugin activations; the migration
environment imports it too.)
"""

from core.actors.models import Actor
from core.audit.models import AuditEvent, PlatformEvent
from core.commitments.links import CommitmentContribution, CommitmentGap
from core.commitments.models import Commitment, CommitmentSupporter
from core.db.base import Base
from core.diagnostics.models import Assessment, AssessmentAnswer
from core.evaluation.models import Evaluation, Rating
from core.files.models import EvidenceFile
from core.identity.models import (
    ApiClient,
    ConsultantGrant,
    IdentityProvider,
    Membership,
    Person,
    SigningKey,
)
from core.jobs.models import ExportFile, Job
from core.milestones.models import Milestone
from core.municipalities.models import Municipality, MunicipalityLogo
from core.notifications.models import Delivery, ParticipantContact, WebhookEndpoint
from core.participation.models import Channel, ChannelMember, Contribution
from core.plans.models import ActionPlan, PlanVersion
from core.portfolio.models import MunicipalitySummary, StaffDelivery
from core.progress.models import ProgressReport

__all__ = [
    "ActionPlan",
    "Actor",
    "ApiClient",
    "Assessment",
    "AssessmentAnswer",
    "AuditEvent",
    "Base",
    "Channel",
    "ChannelMember",
    "Commitment",
    "CommitmentContribution",
    "CommitmentGap",
    "CommitmentSupporter",
    "ConsultantGrant",
    "Contribution",
    "Delivery",
    "Evaluation",
    "EvidenceFile",
    "ExportFile",
    "IdentityProvider",
    "Job",
    "Membership",
    "Milestone",
    "Municipality",
    "MunicipalityLogo",
    "MunicipalitySummary",
    "ParticipantContact",
    "Person",
    "PlanVersion",
    "PlatformEvent",
    "ProgressReport",
    "Rating",
    "SigningKey",
    "StaffDelivery",
    "WebhookEndpoint",
]
