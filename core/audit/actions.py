"""The audit actions core records: the event names webhooks subscribe to (plugins add theirs
through ``PluginInfo.events``). ``tests/graphql/test_audit.py`` checks that every action the
code records is listed here or by its plugin."""

from __future__ import annotations

from core.enums import AssessmentStatus, ContributionKind, MunicipalityStatus

ACTIONS: frozenset[str] = frozenset(
    {
        "action_plan.create",
        "action_plan.publish_changes",
        "action_plan.transition",
        "action_plan.update",
        "actor.create",
        "actor.update",
        "api_client.create",
        "api_client.revoke",
        "assessment.answer",
        "assessment.start",
        *(f"assessment.{status.value.lower()}" for status in AssessmentStatus),
        "channel.add_member",
        "channel.close",
        "channel.extend",
        "channel.open",
        "channel.update",
        "commitment.create",
        "commitment.link_gaps",
        "commitment.update",
        "consultant.grant",
        "consultant.revoke",
        *(f"contribution.{kind.value.lower()}" for kind in ContributionKind),
        "contribution.moderate",
        "contribution.respond",
        "evaluation.publish",
        "evaluation.rate",
        "evaluation.start",
        "evidence.upload",
        "identity_provider.add",
        "identity_provider.remove",
        "job.enqueue",
        "job.retry",
        "membership.remove",
        "membership.set",
        "milestone.create",
        "milestone.progress",
        "milestone.update",
        "municipality.create",
        "municipality.portal_origins",
        "municipality.update",
        *(f"municipality.{status.value}" for status in MunicipalityStatus),
        "participant.confirm_email",
        "participant.preferences",
        "participant.unsubscribe",
        "persisted_documents.register",
        "platform.bind",
        "plugin.configure",
        "progress_report.create",
        "webhook.register",
        "webhook.remove",
    }
)
