"""Building test data through the same services the API uses (so every row is audited)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from core.actors import service as actors
from core.commitments import service as commitments
from core.diagnostics import service as diagnostics
from core.enums import ActionPlanStatus, ActorKind, AssessmentStatus, ContributionKind
from core.evaluation import service as evaluations
from core.identity import service as identity
from core.identity.principal import SYSTEM, Principal
from core.identity.roles import Role
from core.jobs.models import Job, JobStatus
from core.milestones import service as milestones
from core.municipalities.models import Municipality
from core.municipalities.service import MunicipalityData
from core.notifications import service as notifications
from core.participation import service as participation
from core.plans import service as plans
from core.progress import service as progress
from core.settings import Settings
from graphql_schema.relay import to_global_id
from plugins import activation
from plugins.builtin.kpi import service as kpis
from plugins.manager import make_plugin_manager
from plugins.records import DerivationInput
from tenants.context import TenantBinding
from tenants.database import Database
from tenants.provisioning import create_municipality
from tenants.unit_of_work import UnitOfWork

REGISTRY = make_plugin_manager(entrypoints=False)
TODAY = date.today()
BUILTIN_ISSUER = Settings().issuer
#: A consultant granted every municipality the factories build (A and B of every world).
GRANTED_CONSULTANT = "consultant-granted"
START = TODAY - timedelta(days=100)
END = TODAY + timedelta(days=300)


@dataclass
class Tenant:
    municipality: Municipality
    actor_id: uuid.UUID
    plan_id: uuid.UUID
    draft_plan_id: uuid.UUID
    draft_commitment_id: uuid.UUID
    commitment_id: uuid.UUID
    milestone_id: uuid.UUID
    report_id: uuid.UUID
    assessment_id: uuid.UUID  # DRAFT
    submitted_assessment_id: uuid.UUID
    validated_assessment_id: uuid.UUID
    consultation_id: uuid.UUID
    forum_id: uuid.UUID
    ngo_id: uuid.UUID
    proposal_id: uuid.UUID
    evaluation_id: uuid.UUID
    membership_id: uuid.UUID
    api_client_id: uuid.UUID
    provider_id: uuid.UUID
    grant_id: uuid.UUID
    failed_job_id: uuid.UUID
    webhook_id: uuid.UUID

    @property
    def slug(self) -> str:
        return self.municipality.slug

    @property
    def binding(self) -> TenantBinding:
        return TenantBinding(self.municipality.id, self.municipality.slug, sees_drafts=True)

    def gid(self, kind: str) -> str:
        ids = {
            "Municipality": self.municipality.id,
            "Actor": self.actor_id,
            "ActionPlan": self.plan_id,
            "DraftActionPlan": self.draft_plan_id,
            "DraftCommitment": self.draft_commitment_id,
            "Commitment": self.commitment_id,
            "Milestone": self.milestone_id,
            "ProgressReport": self.report_id,
            "DraftAssessment": self.assessment_id,
            "SubmittedAssessment": self.submitted_assessment_id,
            "Assessment": self.validated_assessment_id,
            "Channel": self.consultation_id,
            "Forum": self.forum_id,
            "CivilSocietyActor": self.ngo_id,
            "Contribution": self.proposal_id,
            "DraftEvaluation": self.evaluation_id,
            "Membership": self.membership_id,
            "ApiClient": self.api_client_id,
            "IdentityProvider": self.provider_id,
            "ConsultantGrant": self.grant_id,
            "Job": self.failed_job_id,
            "WebhookEndpoint": self.webhook_id,
        }
        type_name = {"Forum": "Channel", "CivilSocietyActor": "Actor"}.get(
            kind, kind.removeprefix("Draft").removeprefix("Submitted")
        )
        return to_global_id(type_name, ids[kind])


@dataclass
class World:
    a: Tenant
    b: Tenant


async def new_municipality(db: Database, prefix: str = "m", **fields: Any) -> Municipality:
    slug = f"{prefix}-{uuid.uuid4().hex[:10]}"
    data = MunicipalityData(slug=slug, name=f"Municipio {slug}", country="AR", **fields)
    return await create_municipality(UnitOfWork(db), SYSTEM, data)


async def build_tenant(db: Database, prefix: str) -> Tenant:
    municipality = await new_municipality(db, prefix)
    binding = TenantBinding(municipality.id, municipality.slug, sees_drafts=True)
    async with db.session(binding) as session:
        actor = await actors.create(
            session, SYSTEM, actors.ActorData(ActorKind.GOVERNMENT, f"Secretaría {prefix}")
        )
        plan = await plans.create(
            session, SYSTEM, plans.PlanData(title=f"Plan {prefix}", start_date=START, end_date=END)
        )
        commitment = await commitments.create(
            session,
            SYSTEM,
            commitments.CommitmentData(
                plan_id=plan.id,
                code="1",
                title=f"Compromiso {prefix}",
                start_date=START,
                end_date=END,
                lead_agency_id=actor.id,
                ogp_values=["ACCESS_TO_INFORMATION"],
            ),
        )
        milestone = await milestones.create(
            session,
            SYSTEM,
            milestones.MilestoneData(
                commitment_id=commitment.id, title="Hito", start_date=START, end_date=END
            ),
        )
        for status in (ActionPlanStatus.COCREATION, ActionPlanStatus.PUBLISHED):
            await plans.transition(session, SYSTEM, plan.id, status)
        report, _ = await progress.report(
            session, SYSTEM, progress.ReportData(milestone_id=milestone.id, percent=30)
        )
        draft = await plans.create(
            session,
            SYSTEM,
            plans.PlanData(title=f"Borrador {prefix}", start_date=START, end_date=END),
        )
        draft_commitment = await commitments.create(
            session,
            SYSTEM,
            commitments.CommitmentData(
                plan_id=draft.id, code="D1", title="Borrador", start_date=START, end_date=END
            ),
        )
        for plugin in ("transparency_index", "consultation", "forum", "ogp_irm", "kpi"):
            await activation.configure(session, SYSTEM, REGISTRY, plugin, enabled=True)
        _, index = REGISTRY.instruments["transparency_index"]
        assessments = []
        for status in (None, AssessmentStatus.SUBMITTED, AssessmentStatus.VALIDATED):
            assessment = await diagnostics.start(
                session, SYSTEM, index, f"Diagnóstico {prefix}", START
            )
            await diagnostics.answer(
                session,
                SYSTEM,
                index,
                assessment.id,
                [diagnostics.AnswerData("A1", "YES"), diagnostics.AnswerData("A2", "PARTIAL")],
            )
            if status is not None:
                await diagnostics.transition(
                    session, SYSTEM, assessment.id, AssessmentStatus.SUBMITTED
                )
            if status is AssessmentStatus.VALIDATED:
                await diagnostics.transition(session, SYSTEM, assessment.id, status)
            assessments.append(assessment.id)
        now = datetime.now(UTC)
        consultation = await participation.open_channel(
            session,
            SYSTEM,
            participation.ChannelData(
                plan_id=plan.id,
                kind="consultation",
                title="Consulta",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
            ),
        )
        forum = await participation.open_channel(
            session,
            SYSTEM,
            participation.ChannelData(
                plan_id=plan.id,
                kind="forum",
                title="Foro",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=365),
            ),
        )
        await participation.add_member(session, SYSTEM, forum.id, actor.id, "Gobierno")
        ngo = await actors.create(
            session, SYSTEM, actors.ActorData(ActorKind.CIVIL_SOCIETY, f"ONG {prefix}")
        )
        participant = Principal(
            subject=f"vecina-{prefix}", role=Role.PARTICIPANT, tenant=municipality.slug
        )
        proposal = await participation.contribute(
            session,
            participant,
            participation.ContributionData(
                channel_id=consultation.id,
                kind=ContributionKind.PROPOSAL,
                title="Datos abiertos",
                body="Publicar las compras.",
            ),
            participant_kinds={ContributionKind.PROPOSAL},
            staff_kinds=(),
            is_staff=False,
        )
        _, irm = REGISTRY.frameworks["ogp_irm"]
        evaluation = await evaluations.start(
            session,
            SYSTEM,
            framework="ogp_irm",
            version=irm.version,
            criteria=list(irm.criteria["COMMITMENT"]),  # type: ignore[arg-type]
            derive=lambda t, p, lv, r: irm.derive(DerivationInput(t, p, lv, r)),
            plan_id=plan.id,
            commitment_id=commitment.id,
        )
        await kpis.define(
            session, SYSTEM, commitment.id, "K1", "Conjuntos publicados", "datasets", 0, 40
        )
        membership = await identity.set_membership(
            session,
            SYSTEM,
            issuer=f"https://idp-{prefix}.example",
            subject=f"member-{prefix}",
            role=Role.EDITOR,
            email=f"editor@{municipality.slug}.example",
        )
        await identity.set_membership(
            session,
            SYSTEM,
            issuer=f"https://idp-{prefix}.example",
            subject=f"admin-{prefix}",
            role=Role.TENANT_ADMIN,
            email=f"admin@{municipality.slug}.example",
        )
        api_client = await identity.create_client(
            session, SYSTEM, municipality.slug, name="Portal", role=None, scopes=["read"]
        )
        provider = await identity.add_provider(
            session,
            SYSTEM,
            identity.ProviderData(
                name="SSO", issuer=f"https://sso.{municipality.slug}.example", audience="usina"
            ),
        )
        grant = await identity.grant_consultant(
            session, SYSTEM, municipality.id, issuer=BUILTIN_ISSUER, subject=GRANTED_CONSULTANT
        )
        failed_job = Job(
            kind="exports.plan",
            args={"plan_id": str(plan.id), "format": "csv"},
            status=JobStatus.FAILED,
            attempts=3,
            max_attempts=3,
            error="RuntimeError: the disk was full",
            created_by="system",
        )
        session.add(failed_job)
        webhook, _ = await notifications.register_webhook(
            session, SYSTEM, f"https://hooks.{prefix}.example/usina", ["action_plan.transition"]
        )
    return Tenant(
        municipality=municipality,
        actor_id=actor.id,
        plan_id=plan.id,
        draft_plan_id=draft.id,
        draft_commitment_id=draft_commitment.id,
        commitment_id=commitment.id,
        milestone_id=milestone.id,
        report_id=report.id,
        assessment_id=assessments[0],
        submitted_assessment_id=assessments[1],
        validated_assessment_id=assessments[2],
        consultation_id=consultation.id,
        forum_id=forum.id,
        ngo_id=ngo.id,
        proposal_id=proposal.id,
        evaluation_id=evaluation.id,
        membership_id=membership.id,
        api_client_id=api_client.row.id,
        provider_id=provider.id,
        grant_id=grant.id,
        failed_job_id=failed_job.id,
        webhook_id=webhook.id,
    )


async def add_overdue_milestone(db: Database, tenant: Tenant) -> None:
    """A second milestone under the tenant's commitment, ended five days ago, not started."""
    async with db.session(tenant.binding) as session:
        await milestones.create(
            session,
            SYSTEM,
            milestones.MilestoneData(
                commitment_id=tenant.commitment_id,
                title="Vencido",
                start_date=TODAY - timedelta(days=60),
                end_date=TODAY - timedelta(days=5),
            ),
        )


async def publish_changes(db: Database, tenant: Tenant) -> None:
    """Publish what was added to or changed in the tenant's (published) plan since its last
    version, as an editor would: until then the public does not see it."""
    from core.plans import publishing

    async with db.session(tenant.binding) as session:
        await publishing.publish_changes(session, SYSTEM, tenant.plan_id)


async def build_world(db: Database) -> World:
    return World(a=await build_tenant(db, "a"), b=await build_tenant(db, "b"))


#: How the authentication middleware refuses (``graphql_schema/errors.REQUEST_ERROR_STATUS``).
REFUSAL_STATUSES = frozenset({400, 401, 403, 404})


@dataclass(frozen=True)
class UploadFile:
    """A file variable: ``gql`` then sends the GraphQL multipart request."""

    filename: str
    content: bytes
    media_type: str = "application/octet-stream"


def _uploads(value: Any, path: str, found: dict[str, UploadFile]) -> Any:
    """``value`` with every UploadFile replaced by null, recording its path."""
    if isinstance(value, UploadFile):
        found[path] = value
        return None
    if isinstance(value, dict):
        return {k: _uploads(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_uploads(v, f"{path}.{i}", found) for i, v in enumerate(value)]
    return value


def graphql_body(query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    """httpx's arguments for a GraphQL POST: JSON, or the multipart request when a variable
    is an :class:`UploadFile` (https://github.com/jaydenseric/graphql-multipart-request-spec)."""
    files: dict[str, UploadFile] = {}
    plain = _uploads(variables or {}, "variables", files)
    if not files:
        return {"json": {"query": query, "variables": plain}}
    paths = list(files)
    return {
        "data": {
            "operations": json.dumps({"query": query, "variables": plain}),
            "map": json.dumps({str(i): [p] for i, p in enumerate(paths)}),
        },
        "files": {
            str(i): (files[p].filename, files[p].content, files[p].media_type)
            for i, p in enumerate(paths)
        },
    }


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    tenant: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    sent = dict(headers or {})
    if tenant:
        sent["X-Tenant"] = tenant
    if token:
        sent["Authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", **graphql_body(query, variables), headers=sent)
    body: dict[str, Any] = response.json()
    if response.status_code != 200:
        # Refused in front of GraphQL (authentication, the municipality): errors, no data.
        assert response.status_code in REFUSAL_STATUSES, response.text
        assert "data" not in body and body["errors"], body
        return {"data": None, **body}
    return body


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]
