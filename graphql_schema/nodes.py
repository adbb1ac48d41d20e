"""``Query.node(id:)``: any object by its global ID, within the bound municipality."""

from __future__ import annotations

from typing import Any

from core.actors.models import Actor as ActorRow
from core.audit.models import AuditEvent as AuditRow
from core.commitments.models import Commitment as CommitmentRow
from core.diagnostics.models import Assessment as AssessmentRow
from core.errors import BadUserInput, NotFound
from core.evaluation.models import Evaluation as EvaluationRow
from core.i18n import msg
from core.identity.models import ApiClient as ApiClientRow
from core.identity.models import IdentityProvider as ProviderRow
from core.identity.models import Membership as MembershipRow
from core.identity.roles import Permission
from core.jobs.models import Job as JobRow
from core.milestones.models import Milestone as MilestoneRow
from core.municipalities.models import Municipality as MunicipalityRow
from core.notifications.models import WebhookEndpoint as WebhookRow
from core.participation.models import Channel as ChannelRow
from core.participation.models import Contribution as ContributionRow
from core.plans.models import ActionPlan as PlanRow
from core.progress.models import ProgressReport as ReportRow
from graphql_schema.actors.types import Actor
from graphql_schema.audit.types import AuditEvent
from graphql_schema.commitments.types import Commitment
from graphql_schema.context import Info
from graphql_schema.diagnostics.types import Assessment
from graphql_schema.evaluation.types import Evaluation
from graphql_schema.identity.types import ApiClient, IdentityProvider, Membership
from graphql_schema.jobs.types import Job, WebhookEndpoint
from graphql_schema.milestones.types import Milestone, ProgressReport
from graphql_schema.municipalities.types import Municipality
from graphql_schema.participation.types import Channel, Contribution
from graphql_schema.permissions import requires
from graphql_schema.plans.types import ActionPlan
from graphql_schema.relay import Node, from_global_id
from graphql_schema.rows import from_row

TENANT_NODES: dict[str, tuple[type[Any], type[Any]]] = {
    "ActionPlan": (PlanRow, ActionPlan),
    "Commitment": (CommitmentRow, Commitment),
    "Milestone": (MilestoneRow, Milestone),
    "ProgressReport": (ReportRow, ProgressReport),
    "Actor": (ActorRow, Actor),
    "AuditEvent": (AuditRow, AuditEvent),
    "Assessment": (AssessmentRow, Assessment),
    "Channel": (ChannelRow, Channel),
    "Contribution": (ContributionRow, Contribution),
    "Evaluation": (EvaluationRow, Evaluation),
    "Membership": (MembershipRow, Membership),
    "ApiClient": (ApiClientRow, ApiClient),
    "IdentityProvider": (ProviderRow, IdentityProvider),
    "Job": (JobRow, Job),
    "WebhookEndpoint": (WebhookRow, WebhookEndpoint),
}
#: Node types that need a permission beyond reading the municipality's public content.
NODE_PERMISSIONS = {
    "AuditEvent": Permission.READ_AUDIT,
    "Membership": Permission.MANAGE_MEMBERS,
    "ApiClient": Permission.MANAGE_API_CLIENTS,
    "IdentityProvider": Permission.MANAGE_IDENTITY_PROVIDERS,
    "Job": Permission.RUN_JOBS,
    "WebhookEndpoint": Permission.MANAGE_WEBHOOKS,
}


def _not_found() -> NotFound:
    return NotFound(
        msg(
            "Nothing has that ID here.",
            "No hay nada con ese ID aquí.",
            "Não há nada com esse ID aqui.",
        ),
        field="id",
    )


async def resolve_node(info: Info, global_id: str) -> Node:
    type_name, id_ = from_global_id(global_id, field="id")
    context = info.context
    if type_name == "Municipality":
        return await _municipality(info, id_)
    if type_name not in TENANT_NODES:
        raise BadUserInput(
            msg("Unknown ID type.", "Tipo de ID desconocido.", "Tipo de ID desconhecido."),
            field="id",
        )
    tenant = context.tenant()  # TENANT_REQUIRED when unbound
    if type_name in NODE_PERMISSIONS:
        requires(NODE_PERMISSIONS[type_name])().has_permission(None, info)
    model, node_type = TENANT_NODES[type_name]
    row = await context.loaders.get(model).load(id_)
    if row is None or row.tenant_id != tenant.binding.tenant_id:
        raise _not_found()
    return from_row(node_type, row)


async def _municipality(info: Info, id_: Any) -> Node:
    """A bound request sees only its own municipality; an unbound platform admin sees any."""
    context = info.context
    if context.resolved is None and context.principal.is_platform_admin:
        row = await context.exclusive(lambda: context.session.get(MunicipalityRow, id_))
    else:
        resolved = context.tenant()
        row = resolved.municipality if resolved.municipality.id == id_ else None
    if row is None:
        raise _not_found()
    return from_row(Municipality, row)
