"""Every mutation writes an audit event; progress reports and audit events are append-only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from core.errors import AppendOnly
from core.identity.tokens import TokenService
from core.models import AuditEvent, PlanVersion, ProgressReport
from graphql_schema.schema import build_schema
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.factories import END, START, Tenant, UploadFile, World, error_codes, gql

s, e = str(START), str(END)

# mutation name: (document, variables(tenant), role, expected audit action)
MUTATIONS: dict[str, tuple[str, Any, str, str]] = {
    "createActionPlan": (
        'mutation($s: Date!, $e: Date!) { createActionPlan(input: {title: "P2", startDate: $s, endDate: $e}) { actionPlan { id } } }',
        lambda t: {"s": s, "e": e},
        "editor",
        "action_plan.create",
    ),
    "updateActionPlan": (
        'mutation($id: ID!) { updateActionPlan(input: {id: $id, summary: "nuevo"}) { actionPlan { summary } } }',
        lambda t: {"id": t.gid("ActionPlan")},
        "editor",
        "action_plan.update",
    ),
    "publishActionPlanChanges": (
        'mutation($id: ID!) { updateActionPlan(input: {id: $id, summary: "v2"}) { actionPlan { id } } publishActionPlanChanges(input: {actionPlanId: $id, note: "Resumen nuevo"}) { version { number } } }',
        lambda t: {"id": t.gid("ActionPlan")},
        "editor",
        "action_plan.publish_changes",
    ),
    "transitionActionPlan": (
        "mutation($id: ID!) { transitionActionPlan(input: {id: $id, to: IMPLEMENTATION}) { actionPlan { status } } }",
        lambda t: {"id": t.gid("ActionPlan")},
        "editor",
        "action_plan.transition",
    ),
    "createCommitment": (
        'mutation($p: ID!, $s: Date!, $e: Date!) { createCommitment(input: {actionPlanId: $p, code: "2", title: "t", startDate: $s, endDate: $e}) { commitment { id } } }',
        lambda t: {"p": t.gid("ActionPlan"), "s": s, "e": e},
        "editor",
        "commitment.create",
    ),
    "updateCommitment": (
        'mutation($id: ID!, $a: ID!) { updateCommitment(input: {id: $id, objective: "o", supportingActorIds: [$a]}) { commitment { objective } } }',
        lambda t: {"id": t.gid("Commitment"), "a": t.gid("Actor")},
        "editor",
        "commitment.update",
    ),
    "createMilestone": (
        'mutation($c: ID!, $s: Date!, $e: Date!) { createMilestone(input: {commitmentId: $c, title: "m2", startDate: $s, endDate: $e, weight: 2}) { milestone { id } } }',
        lambda t: {"c": t.gid("Commitment"), "s": s, "e": e},
        "editor",
        "milestone.create",
    ),
    "updateMilestone": (
        "mutation($id: ID!) { updateMilestone(input: {id: $id, weight: 3}) { milestone { weight } } }",
        lambda t: {"id": t.gid("Milestone")},
        "editor",
        "milestone.update",
    ),
    "reportProgress": (
        'mutation($m: ID!) { reportProgress(input: {milestoneId: $m, percent: 70, narrative: "n", evidence: [{url: "https://x.example/a", title: "Acta"}]}) { report { id } milestone { progress } } }',
        lambda t: {"m": t.gid("Milestone")},
        "editor",
        "progress_report.create",
    ),
    "createActor": (
        'mutation { createActor(input: {kind: ACADEMIA, name: "Universidad"}) { actor { id } } }',
        lambda t: {},
        "editor",
        "actor.create",
    ),
    "updateActor": (
        'mutation($id: ID!) { updateActor(input: {id: $id, contactEmail: "a@b.example"}) { actor { id } } }',
        lambda t: {"id": t.gid("Actor")},
        "editor",
        "actor.update",
    ),
    "configurePlugin": (
        'mutation { configurePlugin(input: {plugin: "maturity_model", enabled: true}) { plugin { enabled settingsVersion } } }',
        lambda t: {},
        "platform_admin",
        "plugin.configure",
    ),
    "startAssessment": (
        'mutation($d: Date!) { startAssessment(input: {instrument: "transparency_index", title: "2026", assessedOn: $d}) { assessment { id } } }',
        lambda t: {"d": s},
        "editor",
        "assessment.start",
    ),
    "answerIndicators": (
        'mutation($id: ID!) { answerIndicators(input: {assessmentId: $id, answers: [{indicator: "C1", answer: "NO", comment: "Solo PDF"}]}) { assessment { overallScore } } }',
        lambda t: {"id": t.gid("DraftAssessment")},
        "editor",
        "assessment.answer",
    ),
    "submitAssessment": (
        "mutation($id: ID!) { submitAssessment(input: {id: $id}) { assessment { status } } }",
        lambda t: {"id": t.gid("DraftAssessment")},
        "editor",
        "assessment.submitted",
    ),
    "validateAssessment": (
        "mutation($id: ID!) { validateAssessment(input: {id: $id}) { assessment { status } } }",
        lambda t: {"id": t.gid("SubmittedAssessment")},
        "tenant_admin",
        "assessment.validated",
    ),
    "reopenAssessment": (
        "mutation($id: ID!) { reopenAssessment(input: {id: $id}) { assessment { status } } }",
        lambda t: {"id": t.gid("SubmittedAssessment")},
        "tenant_admin",
        "assessment.draft",
    ),
    "openChannel": (
        'mutation($p: ID!, $o: DateTime!, $c: DateTime!) { openChannel(input: {actionPlanId: $p, kind: "consultation", title: "Segunda consulta", opensAt: $o, closesAt: $c, rules: {premoderated: true}}) { channel { id rules } } }',
        lambda t: {
            "p": t.gid("ActionPlan"),
            "o": "2026-01-01T00:00:00+00:00",
            "c": "2027-01-01T00:00:00+00:00",
        },
        "editor",
        "channel.open",
    ),
    "updateChannel": (
        'mutation($c: ID!) { updateChannel(input: {id: $c, title: "Consulta renovada"}) { channel { title } } }',
        lambda t: {"c": t.gid("Channel")},
        "editor",
        "channel.update",
    ),
    "extendChannel": (
        'mutation($c: ID!) { extendChannel(input: {id: $c, closesAt: "2031-01-01T00:00:00Z"}) { channel { closesAt } } }',
        lambda t: {"c": t.gid("Channel")},
        "editor",
        "channel.extend",
    ),
    "closeChannel": (
        "mutation($c: ID!) { closeChannel(input: {id: $c}) { channel { state } } }",
        lambda t: {"c": t.gid("Channel")},
        "editor",
        "channel.close",
    ),
    "contribute": (
        'mutation($c: ID!) { contribute(input: {channelId: $c, kind: PROPOSAL, title: "Más datos", body: "Publicar contratos."}) { contribution { id } } }',
        lambda t: {"c": t.gid("Channel")},
        "participant",
        "contribution.proposal",
    ),
    "setNotificationPreferences": (
        "mutation { setNotificationPreferences(input: {notify: false}) { notificationPreferences { notify } } }",
        lambda t: {},
        "participant",
        "participant.preferences",
    ),
    "moderateContribution": (
        'mutation($id: ID!) { moderateContribution(input: {id: $id, moderation: HIDDEN, reason: "Ofensiva"}) { contribution { moderation } } }',
        lambda t: {"id": t.gid("Contribution")},
        "editor",
        "contribution.moderate",
    ),
    "moderateContributions": (
        'mutation($id: ID!) { moderateContributions(input: {ids: [$id], moderation: HIDDEN, reason: "Ofensiva"}) { contributions { moderation } } }',
        lambda t: {"id": t.gid("Contribution")},
        "editor",
        "contribution.moderate",
    ),
    "respondToContribution": (
        'mutation($id: ID!, $c: ID!) { respondToContribution(input: {id: $id, outcome: ACCEPTED, response: "Se incorpora.", commitmentIds: [$c]}) { contribution { outcome } } }',
        lambda t: {"id": t.gid("Contribution"), "c": t.gid("Commitment")},
        "editor",
        "contribution.respond",
    ),
    "addChannelMember": (
        'mutation($c: ID!, $a: ID!) { addChannelMember(input: {channelId: $c, actorId: $a, role: "Sociedad civil"}) { member { role } } }',
        lambda t: {"c": t.gid("Forum"), "a": t.gid("CivilSocietyActor")},
        "editor",
        "channel.add_member",
    ),
    "recordMeeting": (
        'mutation($c: ID!, $a: ID!, $d: Date!) { recordMeeting(input: {channelId: $c, heldOn: $d, agenda: "Revisión", minutes: "Acta", attendeeIds: [$a]}) { contribution { kind data } } }',
        lambda t: {"c": t.gid("Forum"), "a": t.gid("Actor"), "d": s},
        "editor",
        "contribution.meeting",
    ),
    "linkCommitmentGaps": (
        'mutation($c: ID!, $a: ID!) { linkCommitmentGaps(input: {commitmentId: $c, gaps: [{assessmentId: $a, indicator: "C1"}]}) { commitment { addressesGaps { indicatorCode } } } }',
        lambda t: {"c": t.gid("Commitment"), "a": t.gid("Assessment")},
        "editor",
        "commitment.link_gaps",
    ),
    "startEvaluation": (
        'mutation($p: ID!) { startEvaluation(input: {framework: "ogp_irm", actionPlanId: $p}) { evaluation { id } } }',
        lambda t: {"p": t.gid("ActionPlan")},
        "reviewer",
        "evaluation.start",
    ),
    "rateCriterion": (
        'mutation($e: ID!) { rateCriterion(input: {evaluationId: $e, criterion: "VERIFIABILITY", value: "VERIFIABLE", justification: "Hitos medibles."}) { evaluation { id } } }',
        lambda t: {"e": t.gid("DraftEvaluation")},
        "reviewer",
        "evaluation.rate",
    ),
    "publishEvaluation": (
        "mutation($e: ID!) { publishEvaluation(input: {id: $e}) { evaluation { status } } }",
        lambda t: {"e": t.gid("DraftEvaluation")},
        "reviewer",
        "evaluation.publish",
    ),
    "defineKpi": (
        'mutation($c: ID!) { defineKpi(input: {commitmentId: $c, code: "K2", name: "Solicitudes respondidas", unit: "%", baseline: 40, target: 90}) { kpi { code } } }',
        lambda t: {"c": t.gid("Commitment")},
        "editor",
        "kpi.define",
    ),
    "recordKpiValue": (
        'mutation($c: ID!, $d: Date!) { recordKpiValue(input: {commitmentId: $c, code: "K1", value: 12, measuredOn: $d}) { kpi { achievement } } }',
        lambda t: {"c": t.gid("Commitment"), "d": s},
        "editor",
        "kpi.record",
    ),
    "createMunicipality": (
        'mutation($slug: String!) { createMunicipality(input: {slug: $slug, name: "Nueva", country: "ar"}) { municipality { id slug } } }',
        lambda t: {"slug": f"new-{t.slug}"},
        "platform_admin",
        "municipality.create",
    ),
    "setMunicipalityStatus": (
        "mutation($slug: String!) { setMunicipalityStatus(input: {slug: $slug, status: SUSPENDED}) { municipality { status } } }",
        lambda t: {"slug": t.slug},
        "platform_admin",
        "municipality.suspended",
    ),
    "setMembership": (
        'mutation { setMembership(input: {issuer: "https://idp.example", subject: "lu", role: REVIEWER}) { membership { role } } }',
        lambda t: {},
        "tenant_admin",
        "membership.set",
    ),
    "removeMembership": (
        "mutation($id: ID!) { removeMembership(input: {id: $id}) { removedId } }",
        lambda t: {"id": t.gid("Membership")},
        "tenant_admin",
        "membership.remove",
    ),
    "createApiClient": (
        'mutation { createApiClient(input: {name: "Portal 2", scopes: ["read"]}) { clientSecret } }',
        lambda t: {},
        "tenant_admin",
        "api_client.create",
    ),
    "revokeApiClient": (
        "mutation($id: ID!) { revokeApiClient(input: {id: $id}) { apiClient { revokedAt } } }",
        lambda t: {"id": t.gid("ApiClient")},
        "tenant_admin",
        "api_client.revoke",
    ),
    "addIdentityProvider": (
        'mutation { addIdentityProvider(input: {name: "Otro", issuer: "https://otro.example", audience: "usina"}) { identityProvider { issuer } } }',
        lambda t: {},
        "tenant_admin",
        "identity_provider.add",
    ),
    "removeIdentityProvider": (
        "mutation($id: ID!) { removeIdentityProvider(input: {id: $id}) { removedId } }",
        lambda t: {"id": t.gid("IdentityProvider")},
        "tenant_admin",
        "identity_provider.remove",
    ),
    "grantConsultant": (
        'mutation { grantConsultant(input: {issuer: "https://staff.example", subject: "cx"}) { grant { person { staffRole } } } }',
        lambda t: {},
        "platform_admin",
        "consultant.grant",
    ),
    "revokeConsultantGrant": (
        "mutation($id: ID!) { revokeConsultantGrant(input: {id: $id}) { removedId } }",
        lambda t: {"id": t.gid("ConsultantGrant")},
        "platform_admin",
        "consultant.revoke",
    ),
    "exportActionPlan": (
        "mutation($p: ID!) { exportActionPlan(input: {actionPlanId: $p, format: CSV}) { job { status } } }",
        lambda t: {"p": t.gid("ActionPlan")},
        "editor",
        "job.enqueue",
    ),
    "recomputeScores": (
        "mutation($p: ID!) { recomputeScores(input: {actionPlanId: $p}) { job { kind } } }",
        lambda t: {"p": t.gid("ActionPlan")},
        "editor",
        "job.enqueue",
    ),
    "uploadEvidence": (
        "mutation($m: ID!, $f: Upload!) { uploadEvidence(input: {milestoneId: $m, file: $f}) { evidenceFile { id } } }",
        lambda t: {"m": t.gid("Milestone"), "f": UploadFile("acta.pdf", b"%PDF-1.4 acta")},
        "editor",
        "evidence.upload",
    ),
    "importActionPlan": (
        'mutation($p: ID!) { importActionPlan(input: {actionPlanId: $p, format: CSV, content: "77u/Q29tbWl0bWVudCBOdW1iZXIsQ29tbWl0bWVudCBUaXRsZSxTdGFydCBEYXRlLEVuZCBEYXRlDQo="}) { job { kind } } }',
        lambda t: {"p": t.gid("ActionPlan")},
        "editor",
        "job.enqueue",
    ),
    "runMonitoring": (
        "mutation { runMonitoring(input: {digest: true}) { jobs { kind status } } }",
        lambda t: {},
        "tenant_admin",
        "job.enqueue",
    ),
    "retryJob": (
        "mutation($id: ID!) { retryJob(input: {id: $id}) { job { status } } }",
        lambda t: {"id": t.gid("Job")},
        "tenant_admin",
        "job.retry",
    ),
    "registerWebhook": (
        'mutation { registerWebhook(input: {url: "https://h.example/x", events: ["action_plan.transition"]}) { secret } }',
        lambda t: {},
        "tenant_admin",
        "webhook.register",
    ),
    "removeWebhook": (
        "mutation($id: ID!) { removeWebhook(input: {id: $id}) { webhook { enabled } } }",
        lambda t: {"id": t.gid("WebhookEndpoint")},
        "tenant_admin",
        "webhook.remove",
    ),
    "registerPersistedDocuments": (
        'mutation { registerPersistedDocuments(input: {documents: ["{ municipality { name } }"]}) { sha256Hashes } }',
        lambda t: {},
        "tenant_admin",
        "persisted_documents.register",
    ),
    "updateMunicipality": (
        'mutation { updateMunicipality(input: {name: "Villa Editada", timezone: "America/Sao_Paulo", locale: PT}) { municipality { name } } }',
        lambda t: {},
        "tenant_admin",
        "municipality.update",
    ),
    "setPortalOrigins": (
        'mutation { setPortalOrigins(input: {origins: ["https://portal.example"]}) { municipality { portalOrigins } } }',
        lambda t: {},
        "tenant_admin",
        "municipality.portal_origins",
    ),
}


async def audit_actions(db: Database, tenant: Tenant) -> list[str]:
    """The municipality's audit actions, oldest first."""
    async with db.session(tenant.binding) as session:
        rows = await session.execute(select(AuditEvent.action).order_by(AuditEvent.id))
        return list(rows.scalars())


def mutation_names() -> set[str]:
    schema = build_schema(make_plugin_manager(entrypoints=False))  # Usina's own, no test plugins
    return set(schema._schema.mutation_type.fields)  # type: ignore[union-attr]


def test_every_mutation_has_an_audit_case() -> None:
    assert mutation_names() == set(MUTATIONS)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
async def test_every_mutation_writes_an_audit_event(
    client: Any, db: Database, world: World, tokens: TokenService, mutation: str
) -> None:
    document, variables, role, action = MUTATIONS[mutation]
    tenant = world.a
    token = tokens.issue(
        subject=f"{role}-1", role=role, tenant=None if role == "platform_admin" else tenant.slug
    )
    before = await audit_actions(db, tenant)
    # Platform admins act inside a municipality by naming it (except to create or suspend one).
    unbound = {"createMunicipality", "setMunicipalityStatus"}
    bind = {"tenant": tenant.slug} if role == "platform_admin" and mutation not in unbound else {}
    result = await gql(client, document, variables(tenant), token=token, **bind)
    assert "errors" not in result, result
    if mutation == "createMunicipality":
        slug = result["data"]["createMunicipality"]["municipality"]["slug"]
        admin = tokens.issue(subject="root", role="platform_admin", tenant=None)
        events = await gql(
            client,
            "{ auditEvents(first: 5) { nodes { action actorSubject crossTenant } } }",
            token=admin,
            tenant=slug,
        )
        assert {
            "action": "municipality.create",
            "actorSubject": "platform_admin-1",
            "crossTenant": True,
        } in events["data"]["auditEvents"]["nodes"]
        return
    added = (await audit_actions(db, tenant))[len(before) :]
    assert action in added


async def test_audit_event_records_who_what_and_the_change(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="ana", role="editor", tenant=world.a.slug)
    await gql(
        client, MUTATIONS["updateActionPlan"][0], {"id": world.a.gid("ActionPlan")}, token=editor
    )
    admin = tokens.issue(subject="tita", role="tenant_admin", tenant=world.a.slug)
    result = await gql(
        client,
        "{ auditEvents(first: 1) { nodes { action entityType entityId actorSubject actorRole occurredAt before after } } }",
        token=admin,
    )
    event = result["data"]["auditEvents"]["nodes"][0]
    assert event["action"] == "action_plan.update"
    assert (event["entityType"], event["entityId"]) == ("ActionPlan", str(world.a.plan_id))
    assert (event["actorSubject"], event["actorRole"]) == ("ana", "editor")
    assert event["before"]["summary"] == "" and event["after"]["summary"] == "nuevo"


async def test_platform_admin_binding_is_audited(
    client: Any, db: Database, world: World, tokens: TokenService
) -> None:
    admin = tokens.issue(subject="root", role="platform_admin", tenant=None)
    before = await audit_actions(db, world.a)
    await gql(client, "{ municipality { name } }", token=admin, tenant=world.a.slug)
    assert (await audit_actions(db, world.a))[len(before) :] == ["platform.bind"]


def test_schema_has_no_way_to_edit_or_delete_progress_reports() -> None:
    assert not {m for m in mutation_names() if "Report" in m or "Audit" in m} - {"reportProgress"}


@pytest.mark.parametrize(
    "model", [ProgressReport, AuditEvent, PlanVersion], ids=lambda m: m.__tablename__
)
async def test_orm_refuses_editing_or_deleting_append_only_rows(
    db: Database, world: World, model: type
) -> None:
    async with db.session(world.a.binding) as session:
        count = await session.scalar(select(func.count()).select_from(model))
    with pytest.raises(AppendOnly):
        async with db.session(world.a.binding) as session:
            row = (await session.execute(select(model).limit(1))).scalar_one()
            await session.delete(row)
    with pytest.raises(AppendOnly):
        async with db.session(world.a.binding) as session:
            row = (await session.execute(select(model).limit(1))).scalar_one()
            row.tenant_id = row.tenant_id  # no-op assignment is not a change...
            if model is ProgressReport:
                row.percent = 99
            elif model is PlanVersion:
                row.note = "forged"
            else:
                row.action = "forged"
    async with db.session(world.a.binding) as session:
        assert await session.scalar(select(func.count()).select_from(model)) == count


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE progress_reports SET percent = 99",
        "DELETE FROM progress_reports",
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
        "UPDATE plan_versions SET note = 'forged'",
        "DELETE FROM plan_versions",
    ],
)
async def test_database_refuses_editing_or_deleting_append_only_rows(
    db: Database, world: World, statement: str
) -> None:
    with pytest.raises(DBAPIError):
        async with db.session(world.a.binding) as session:
            await session.execute(text(statement))


async def test_bulk_update_of_reports_is_refused_too(db: Database, world: World) -> None:
    with pytest.raises(DBAPIError):
        async with db.session(world.a.binding) as session:
            await session.execute(update(ProgressReport).values(percent=1))


async def test_progress_report_has_no_edit_path_and_history_is_kept(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    for percent in (40, 60):
        result = await gql(
            client,
            MUTATIONS["reportProgress"][0].replace("70", str(percent)),
            {"m": world.a.gid("Milestone")},
            token=editor,
        )
        assert error_codes(result) == []
    history = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Milestone { progress reports(first: 10) { totalCount nodes { percent } } } } }",
        {"id": world.a.gid("Milestone")},
        tenant=world.a.slug,
    )
    milestone = history["data"]["node"]
    assert milestone["progress"] == 60
    assert [r["percent"] for r in milestone["reports"]["nodes"]] == [60, 40, 30]
    assert milestone["reports"]["totalCount"] == 3
