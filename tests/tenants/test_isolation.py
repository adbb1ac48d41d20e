"""Municipality B never reads or changes municipality A's data: lists, node(id:), mutations.

Runs on SQLite and on PostgreSQL (as a role that is neither superuser nor table owner).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db.base import TenantOwned
from core.errors import IsolationViolation
from core.identity.tokens import TokenService
from core.models import Base, Commitment
from tenants.database import Database
from tenants.isolation import UNFILTERED
from tests.factories import (
    END,
    START,
    Tenant,
    UploadFile,
    World,
    build_world,
    error_codes,
    gql,
)

TENANT_MODELS = sorted(
    (m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)),
    key=lambda cls: cls.__tablename__,
)


async def snapshot(db: Database, tenant: Tenant) -> dict[str, Any]:
    """Every row a municipality owns, as plain data."""
    out: dict[str, Any] = {}
    async with db.session(tenant.binding) as session:
        for model in TENANT_MODELS:
            rows = (await session.execute(select(model))).scalars().all()
            out[model.__tablename__] = sorted(
                repr(
                    sorted((c.key, repr(getattr(r, c.key))) for c in model.__mapper__.column_attrs)
                )
                for r in rows
            )
    return out


def callers(tokens: TokenService, b: Tenant) -> dict[str, dict[str, Any]]:
    return {
        "anonymous": {"tenant": b.slug},
        "participant_b": {"token": tokens.issue(subject="p", role="participant", tenant=b.slug)},
        "editor_b": {"token": tokens.issue(subject="e", role="editor", tenant=b.slug)},
        "tenant_admin_b": {"token": tokens.issue(subject="t", role="tenant_admin", tenant=b.slug)},
        "platform_admin_in_b": {
            "token": tokens.issue(subject="root", role="platform_admin", tenant=None),
            "tenant": b.slug,
        },
    }


NODE_KINDS = [
    "Municipality",
    "Actor",
    "ActionPlan",
    "Commitment",
    "Milestone",
    "ProgressReport",
    "DraftActionPlan",
    "DraftCommitment",
]


@pytest.mark.parametrize(
    "caller", ["anonymous", "participant_b", "editor_b", "tenant_admin_b", "platform_admin_in_b"]
)
@pytest.mark.parametrize("kind", NODE_KINDS)
async def test_node_of_another_municipality_is_not_found(
    client: Any, world: World, tokens: TokenService, caller: str, kind: str
) -> None:
    who = callers(tokens, world.b)[caller]
    result = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": world.a.gid(kind)}, **who
    )
    assert result["data"] == {"node": None}
    assert error_codes(result) == ["NOT_FOUND"]


async def test_audit_event_of_another_municipality_is_not_found(
    client: Any, world: World, tokens: TokenService
) -> None:
    admin_a = tokens.issue(subject="ta", role="tenant_admin", tenant=world.a.slug)
    events = await gql(client, "{ auditEvents(first: 1) { nodes { id } } }", token=admin_a)
    event_id = events["data"]["auditEvents"]["nodes"][0]["id"]
    admin_b = tokens.issue(subject="tb", role="tenant_admin", tenant=world.b.slug)
    result = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": event_id}, token=admin_b
    )
    assert error_codes(result) == ["NOT_FOUND"]


LISTS = """{
  municipality { slug actionPlans(first: 10) { nodes { id channels { id members { actor { id } }
    contributions(first: 10) { nodes { id commitments { id } comments { id } } } } evaluations { id }
    commitments(first: 10) { nodes { id evaluations { id ratings { code } } takesUp { id } addressesGaps { assessment { id } }
    leadAgency { id } milestones(first: 10) { nodes { id reports(first: 10) { nodes { id } } } } } } } } }
  actionPlans(first: 10) { nodes { id } }
  actors(first: 10) { nodes { id } }
  assessments(first: 10) { nodes { id answers { indicator { code } } } }
  plugins { name enabled }
  frameworks { name }
}"""


@pytest.mark.parametrize(
    "caller", ["anonymous", "editor_b", "tenant_admin_b", "platform_admin_in_b"]
)
async def test_lists_of_b_hold_nothing_of_a(
    client: Any, world: World, tokens: TokenService, caller: str
) -> None:
    result = await gql(client, LISTS, **callers(tokens, world.b)[caller])
    assert "errors" not in result
    dumped = repr(result["data"])
    assert result["data"]["municipality"]["slug"] == world.b.slug
    for kind in NODE_KINDS[1:]:
        assert world.a.gid(kind) not in dumped
    assert world.b.gid("ActionPlan") in dumped
    assert world.b.gid("Assessment") in dumped


async def test_audit_trail_of_b_holds_nothing_of_a(
    client: Any, world: World, tokens: TokenService
) -> None:
    admin_b = tokens.issue(subject="tb", role="tenant_admin", tenant=world.b.slug)
    result = await gql(client, "{ auditEvents(first: 100) { nodes { entityId } } }", token=admin_b)
    ids = {n["entityId"] for n in result["data"]["auditEvents"]["nodes"]}
    assert str(world.b.plan_id) in ids
    assert not ids & {str(world.a.plan_id), str(world.a.commitment_id), str(world.a.milestone_id)}


# Each mutation aimed at municipality A's objects by an editor of B: (document, variables).
FOREIGN_MUTATIONS: dict[str, tuple[str, Any]] = {
    "updateActionPlan": (
        'mutation($id: ID!) { updateActionPlan(input: {id: $id, title: "x"}) { actionPlan { id } } }',
        lambda a, b: {"id": a.gid("ActionPlan")},
    ),
    "transitionActionPlan": (
        "mutation($id: ID!) { transitionActionPlan(input: {id: $id, to: IMPLEMENTATION}) { actionPlan { id } } }",
        lambda a, b: {"id": a.gid("ActionPlan")},
    ),
    "publishActionPlanChanges": (
        "mutation($id: ID!) { publishActionPlanChanges(input: {actionPlanId: $id}) { version { number } } }",
        lambda a, b: {"id": a.gid("ActionPlan")},
    ),
    "createCommitment": (
        'mutation($p: ID!, $s: Date!, $e: Date!) { createCommitment(input: {actionPlanId: $p, code: "X9",'
        ' title: "x", startDate: $s, endDate: $e}) { commitment { id } } }',
        lambda a, b: {"p": a.gid("ActionPlan"), "s": str(START), "e": str(END)},
    ),
    "createCommitmentLedByForeignActor": (
        "mutation($p: ID!, $l: ID!, $s: Date!, $e: Date!) { createCommitment(input: {actionPlanId: $p,"
        ' code: "X8", title: "x", startDate: $s, endDate: $e, leadAgencyId: $l}) { commitment { id } } }',
        lambda a, b: {
            "p": b.gid("ActionPlan"),
            "l": a.gid("Actor"),
            "s": str(START),
            "e": str(END),
        },
    ),
    "updateCommitment": (
        'mutation($id: ID!) { updateCommitment(input: {id: $id, title: "x"}) { commitment { id } } }',
        lambda a, b: {"id": a.gid("Commitment")},
    ),
    "createMilestone": (
        'mutation($c: ID!, $s: Date!, $e: Date!) { createMilestone(input: {commitmentId: $c, title: "x",'
        " startDate: $s, endDate: $e}) { milestone { id } } }",
        lambda a, b: {"c": a.gid("Commitment"), "s": str(START), "e": str(END)},
    ),
    "updateMilestone": (
        'mutation($id: ID!) { updateMilestone(input: {id: $id, title: "x"}) { milestone { id } } }',
        lambda a, b: {"id": a.gid("Milestone")},
    ),
    "reportProgress": (
        "mutation($m: ID!) { reportProgress(input: {milestoneId: $m, percent: 50}) { report { id } } }",
        lambda a, b: {"m": a.gid("Milestone")},
    ),
    "answerIndicators": (
        'mutation($id: ID!) { answerIndicators(input: {assessmentId: $id, answers: [{indicator: "A3", answer: "YES"}]}) { assessment { id } } }',
        lambda a, b: {"id": a.gid("DraftAssessment")},
    ),
    "submitAssessment": (
        "mutation($id: ID!) { submitAssessment(input: {id: $id}) { assessment { id } } }",
        lambda a, b: {"id": a.gid("DraftAssessment")},
    ),
    "validateAssessment": (
        "mutation($id: ID!) { validateAssessment(input: {id: $id}) { assessment { id } } }",
        lambda a, b: {"id": a.gid("SubmittedAssessment")},
    ),
    "reopenAssessment": (
        "mutation($id: ID!) { reopenAssessment(input: {id: $id}) { assessment { id } } }",
        lambda a, b: {"id": a.gid("SubmittedAssessment")},
    ),
    "contribute": (
        'mutation($c: ID!) { contribute(input: {channelId: $c, kind: PROPOSAL, title: "x", body: "y"}) { contribution { id } } }',
        lambda a, b: {"c": a.gid("Channel")},
    ),
    "supportForeignProposal": (
        "mutation($c: ID!, $p: ID!) { contribute(input: {channelId: $c, kind: SUPPORT, parentId: $p}) { contribution { id } } }",
        lambda a, b: {"c": b.gid("Channel"), "p": a.gid("Contribution")},
    ),
    "moderateContribution": (
        'mutation($id: ID!) { moderateContribution(input: {id: $id, moderation: HIDDEN, reason: "x"}) { contribution { id } } }',
        lambda a, b: {"id": a.gid("Contribution")},
    ),
    "uploadEvidence": (
        "mutation($m: ID!, $f: Upload!) { uploadEvidence(input: {milestoneId: $m, file: $f}) { evidenceFile { id } } }",
        lambda a, b: {"m": a.gid("Milestone"), "f": UploadFile("acta.pdf", b"%PDF-1.4 acta")},
    ),
    "importActionPlan": (
        'mutation($p: ID!) { importActionPlan(input: {actionPlanId: $p, format: CSV, content: "77u/Q29tbWl0bWVudCBOdW1iZXIsQ29tbWl0bWVudCBUaXRsZSxTdGFydCBEYXRlLEVuZCBEYXRlDQo="}) { job { id } } }',
        lambda a, b: {"p": a.gid("ActionPlan")},
    ),
    "moderateContributions": (
        'mutation($id: ID!) { moderateContributions(input: {ids: [$id], moderation: HIDDEN, reason: "x"}) { contributions { id } } }',
        lambda a, b: {"id": a.gid("Contribution")},
    ),
    "moderateForeignAmongOwn": (
        'mutation($id: ID!, $own: ID!) { moderateContributions(input: {ids: [$own, $id], moderation: HIDDEN, reason: "x"}) { contributions { id } } }',
        lambda a, b: {"id": a.gid("Contribution"), "own": b.gid("Contribution")},
    ),
    "respondToContribution": (
        'mutation($id: ID!) { respondToContribution(input: {id: $id, outcome: DECLINED, response: "x"}) { contribution { id } } }',
        lambda a, b: {"id": a.gid("Contribution")},
    ),
    "acceptIntoForeignCommitment": (
        'mutation($id: ID!, $c: ID!) { respondToContribution(input: {id: $id, outcome: ACCEPTED, response: "x", commitmentIds: [$c]}) { contribution { id } } }',
        lambda a, b: {"id": b.gid("Contribution"), "c": a.gid("Commitment")},
    ),
    "openChannel": (
        'mutation($p: ID!) { openChannel(input: {actionPlanId: $p, kind: "consultation", title: "x", opensAt: "2026-01-01T00:00:00Z", closesAt: "2027-01-01T00:00:00Z"}) { channel { id } } }',
        lambda a, b: {"p": a.gid("ActionPlan")},
    ),
    "updateChannel": (
        'mutation($c: ID!) { updateChannel(input: {id: $c, title: "x"}) { channel { id } } }',
        lambda a, b: {"c": a.gid("Channel")},
    ),
    "extendChannel": (
        'mutation($c: ID!) { extendChannel(input: {id: $c, closesAt: "2031-01-01T00:00:00Z"}) { channel { id } } }',
        lambda a, b: {"c": a.gid("Channel")},
    ),
    "closeChannel": (
        "mutation($c: ID!) { closeChannel(input: {id: $c}) { channel { id } } }",
        lambda a, b: {"c": a.gid("Channel")},
    ),
    "addChannelMember": (
        "mutation($c: ID!, $a: ID!) { addChannelMember(input: {channelId: $c, actorId: $a}) { member { role } } }",
        lambda a, b: {"c": a.gid("Forum"), "a": a.gid("CivilSocietyActor")},
    ),
    "addForeignActorToOwnForum": (
        "mutation($c: ID!, $a: ID!) { addChannelMember(input: {channelId: $c, actorId: $a}) { member { role } } }",
        lambda a, b: {"c": b.gid("Forum"), "a": a.gid("Actor")},
    ),
    "recordMeeting": (
        'mutation($c: ID!) { recordMeeting(input: {channelId: $c, heldOn: "2026-05-01", agenda: "x"}) { contribution { id } } }',
        lambda a, b: {"c": a.gid("Forum")},
    ),
    "linkCommitmentGaps": (
        'mutation($c: ID!, $a: ID!) { linkCommitmentGaps(input: {commitmentId: $c, gaps: [{assessmentId: $a, indicator: "C1"}]}) { commitment { id } } }',
        lambda a, b: {"c": a.gid("Commitment"), "a": a.gid("Assessment")},
    ),
    "linkOwnCommitmentToForeignGap": (
        'mutation($c: ID!, $a: ID!) { linkCommitmentGaps(input: {commitmentId: $c, gaps: [{assessmentId: $a, indicator: "C1"}]}) { commitment { id } } }',
        lambda a, b: {"c": b.gid("Commitment"), "a": a.gid("Assessment")},
    ),
    "startEvaluation": (
        'mutation($p: ID!) { startEvaluation(input: {framework: "ogp_irm", actionPlanId: $p}) { evaluation { id } } }',
        lambda a, b: {"p": a.gid("ActionPlan")},
    ),
    "rateCriterion": (
        'mutation($e: ID!) { rateCriterion(input: {evaluationId: $e, criterion: "VERIFIABILITY", value: "VERIFIABLE", justification: "x"}) { evaluation { id } } }',
        lambda a, b: {"e": a.gid("DraftEvaluation")},
    ),
    "publishEvaluation": (
        "mutation($e: ID!) { publishEvaluation(input: {id: $e}) { evaluation { id } } }",
        lambda a, b: {"e": a.gid("DraftEvaluation")},
    ),
    "defineKpi": (
        'mutation($c: ID!) { defineKpi(input: {commitmentId: $c, code: "K9", name: "x", baseline: 0, target: 1}) { kpi { code } } }',
        lambda a, b: {"c": a.gid("Commitment")},
    ),
    "recordKpiValue": (
        'mutation($c: ID!) { recordKpiValue(input: {commitmentId: $c, code: "K1", value: 1, measuredOn: "2026-05-01"}) { kpi { code } } }',
        lambda a, b: {"c": a.gid("Commitment")},
    ),
    "updateActor": (
        'mutation($id: ID!) { updateActor(input: {id: $id, name: "x"}) { actor { id } } }',
        lambda a, b: {"id": a.gid("Actor")},
    ),
}


@pytest.mark.parametrize("mutation", sorted(FOREIGN_MUTATIONS))
@pytest.mark.parametrize("caller", ["editor_b", "tenant_admin_b", "platform_admin_in_b"])
async def test_mutation_on_another_municipality_is_not_found_and_changes_nothing(
    client: Any, db: Database, world: World, tokens: TokenService, mutation: str, caller: str
) -> None:
    document, variables = FOREIGN_MUTATIONS[mutation]
    before_a, before_b = await snapshot(db, world.a), await snapshot(db, world.b)
    who = callers(tokens, world.b)[caller]
    result = await gql(client, document, variables(world.a, world.b), **who)
    expected = "NOT_FOUND"
    refused_roles = {  # the role is refused before anything is looked up
        "editor_b": {
            "validateAssessment",
            "reopenAssessment",
            "startEvaluation",
            "rateCriterion",
            "publishEvaluation",
        },
    }
    if mutation in refused_roles.get(caller, set()):
        expected = "FORBIDDEN"
    assert error_codes(result) == [expected], result
    assert await snapshot(db, world.a) == before_a
    after_b = await snapshot(db, world.b)
    if caller == "platform_admin_in_b":  # binding to B is itself audited, in B
        after_b["audit_events"], before_b["audit_events"] = [], []
    assert after_b == before_b


async def test_token_of_b_cannot_be_used_against_a(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor_b = tokens.issue(subject="e", role="editor", tenant=world.b.slug)
    result = await gql(client, "{ municipality { slug } }", token=editor_b, tenant=world.a.slug)
    assert result["data"] is None
    assert error_codes(result) == ["FORBIDDEN"]


#: Mutations that name no object: they act on the caller's own municipality, whatever it is.
OWN_MUNICIPALITY_MUTATIONS: dict[str, tuple[str, str]] = {
    "createActor": (
        'mutation { createActor(input: {kind: ACADEMIA, name: "Universidad"}) { actor { id } } }',
        "editor",
    ),
    "setNotificationPreferences": (
        "mutation { setNotificationPreferences(input: {notify: false}) "
        "{ notificationPreferences { notify } } }",
        "participant",
    ),
    "runMonitoring": (
        "mutation { runMonitoring(input: {digest: true}) { jobs { kind } } }",
        "tenant_admin",
    ),
}


@pytest.mark.parametrize("mutation", sorted(OWN_MUNICIPALITY_MUTATIONS))
async def test_a_mutation_made_in_b_leaves_a_untouched(
    client: Any, db: Database, world: World, tokens: TokenService, mutation: str
) -> None:
    document, role = OWN_MUNICIPALITY_MUTATIONS[mutation]
    before_a, before_b = await snapshot(db, world.a), await snapshot(db, world.b)
    caller_b = tokens.issue(subject=f"{role}-b", role=role, tenant=world.b.slug)
    result = await gql(client, document, token=caller_b)
    assert "errors" not in result, result
    assert await snapshot(db, world.a) == before_a
    assert await snapshot(db, world.b) != before_b  # it did act, in B


async def test_flush_guard_refuses_a_row_of_another_municipality(
    db: Database, world: World
) -> None:
    with pytest.raises(IsolationViolation):
        async with db.session(world.b.binding) as session:
            session.add(
                Commitment(
                    tenant_id=world.a.municipality.id,
                    plan_id=world.a.plan_id,
                    code="Z",
                    title="z",
                    start_date=START,
                    end_date=END,
                )
            )


async def test_unbound_session_sees_no_tenant_rows(db: Database, world: World) -> None:
    async with db.session(None) as session:
        for model in TENANT_MODELS:
            assert (await session.execute(select(model))).first() is None


async def test_database_refuses_commitment_pointing_at_another_municipality_plan(
    db: Database, world: World
) -> None:
    insert = text(
        "INSERT INTO commitments (tenant_id, id, plan_id, code, title, problem, status_quo, objective,"
        " contribution, ogp_values, start_date, end_date, tags, created_at, updated_at) VALUES"
        " (:tenant, :id, :plan, 'FK', 't', '', '', '', '', '[]', :s, :e, '[]', :now, :now)"
    )
    as_uuid = (lambda u: u) if db.engine.dialect.name == "postgresql" else (lambda u: u.hex)
    with pytest.raises(IntegrityError):
        async with db.session(world.b.binding) as session:
            await session.execute(
                insert,
                {
                    "tenant": as_uuid(world.b.municipality.id),
                    "id": as_uuid(uuid.uuid4()),
                    "plan": as_uuid(world.a.plan_id),
                    "s": START,
                    "e": END,
                    "now": START,
                },
            )


# --- PostgreSQL only: row-level security holds even without the ORM filter -----------------


@pytest.fixture(scope="module")
async def pg_db(postgres_urls: dict[str, str]) -> AsyncIterator[Database]:
    database = Database.from_url(postgres_urls["app"])
    yield database
    await database.dispose()


@pytest.fixture
async def pg_world(pg_db: Database) -> World:
    return await build_world(pg_db)


async def test_app_role_is_neither_superuser_nor_owner(pg_db: Database) -> None:
    async with pg_db.engine.connect() as conn:
        role = (
            await conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        assert tuple(role) == (False, False)
        owned = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
            )
        )
        assert owned == 0


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__tablename__)
async def test_rls_alone_hides_other_municipalities(
    pg_db: Database, pg_world: World, model: type
) -> None:
    async with pg_db.session(pg_world.b.binding) as session:
        rows = (
            (await session.execute(select(model).execution_options(**{UNFILTERED: True})))
            .scalars()
            .all()
        )
    assert {r.tenant_id for r in rows} <= {pg_world.b.municipality.id}
    async with pg_db.session(None) as session:
        unbound = (
            await session.execute(select(model).execution_options(**{UNFILTERED: True}))
        ).first()
    assert unbound is None


async def test_rls_refuses_writing_a_row_for_another_municipality(
    pg_db: Database, pg_world: World
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with pg_db.session(pg_world.b.binding) as session:
            await session.execute(
                text(
                    "INSERT INTO actors (tenant_id, id, kind, name, created_at, updated_at)"
                    " VALUES (:t, :i, 'GOVERNMENT', 'x', now(), now())"
                ),
                {"t": pg_world.a.municipality.id, "i": uuid.uuid4()},
            )
