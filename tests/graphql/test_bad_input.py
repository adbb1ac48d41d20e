"""Bad input gets a machine-readable code and changes nothing, in either municipality."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from core.identity.tokens import TokenService
from graphql_schema.relay import to_global_id
from tenants.database import Database
from tenants.unit_of_work import UnitOfWork
from tests.factories import END, START, World, error_codes, gql
from tests.tenants.test_isolation import snapshot

PLAN = (
    "mutation($in: CreateActionPlanInput!) { createActionPlan(input: $in) { actionPlan { id } } }"
)
UPDATE_PLAN = (
    "mutation($in: UpdateActionPlanInput!) { updateActionPlan(input: $in) { actionPlan { id } } }"
)
TRANSITION = "mutation($in: TransitionActionPlanInput!) { transitionActionPlan(input: $in) { actionPlan { id } } }"
COMMITMENT = (
    "mutation($in: CreateCommitmentInput!) { createCommitment(input: $in) { commitment { id } } }"
)
MILESTONE = (
    "mutation($in: CreateMilestoneInput!) { createMilestone(input: $in) { milestone { id } } }"
)
UPDATE_MILESTONE = (
    "mutation($in: UpdateMilestoneInput!) { updateMilestone(input: $in) { milestone { id } } }"
)
REPORT = "mutation($in: ReportProgressInput!) { reportProgress(input: $in) { report { id } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
PLANS_PAGE = "query($first: Int, $after: String) { actionPlans(first: $first, after: $after) { nodes { id } } }"
ACTOR = "mutation($in: CreateActorInput!) { createActor(input: $in) { actor { id } } }"

s, e = str(START), str(END)
before_start = str(START - timedelta(days=1))


def commitment_input(w: World, **over: Any) -> dict[str, Any]:
    return {
        "actionPlanId": w.a.gid("ActionPlan"),
        "code": "NEW",
        "title": "t",
        "startDate": s,
        "endDate": e,
    } | over


def report_input(w: World, **over: Any) -> dict[str, Any]:
    return {"milestoneId": w.a.gid("Milestone"), "percent": 50} | over


# name: (document, variables(world), expected code, expected field or None)
CASES: dict[str, tuple[str, Any, str, str | None]] = {
    "plan ends before it starts": (
        PLAN,
        lambda w: {"in": {"title": "P", "startDate": e, "endDate": s}},
        "BAD_USER_INPUT",
        "endDate",
    ),
    "plan update ends before it starts": (
        UPDATE_PLAN,
        lambda w: {"in": {"id": w.a.gid("ActionPlan"), "endDate": before_start}},
        "BAD_USER_INPUT",
        "endDate",
    ),
    "plan with empty title": (
        PLAN,
        lambda w: {"in": {"title": "  ", "startDate": s, "endDate": e}},
        "BAD_USER_INPUT",
        "title",
    ),
    "illegal transition back to draft": (
        TRANSITION,
        lambda w: {"in": {"id": w.a.gid("ActionPlan"), "to": "DRAFT"}},
        "CONFLICT",
        "to",
    ),
    "illegal transition skipping a state": (
        TRANSITION,
        lambda w: {"in": {"id": w.a.gid("ActionPlan"), "to": "CLOSED"}},
        "CONFLICT",
        "to",
    ),
    "draft cannot jump to published": (
        TRANSITION,
        lambda w: {"in": {"id": w.a.gid("DraftActionPlan"), "to": "PUBLISHED"}},
        "CONFLICT",
        "to",
    ),
    "duplicate commitment code": (
        COMMITMENT,
        lambda w: {"in": commitment_input(w, code="1")},
        "CONFLICT",
        "code",
    ),
    "commitment ends before it starts": (
        COMMITMENT,
        lambda w: {"in": commitment_input(w, startDate=e, endDate=s)},
        "BAD_USER_INPUT",
        "endDate",
    ),
    "commitment outside its plan's dates": (
        COMMITMENT,
        lambda w: {"in": commitment_input(w, startDate=before_start)},
        "BAD_USER_INPUT",
        "startDate",
    ),
    "unknown OGP value": (
        COMMITMENT,
        lambda w: {"in": commitment_input(w, ogpValues=["TRANSPARENCY"])},
        "BAD_USER_INPUT",
        None,
    ),
    "malformed plan ID": (
        COMMITMENT,
        lambda w: {"in": commitment_input(w, actionPlanId="not-an-id!")},
        "BAD_USER_INPUT",
        "actionPlanId",
    ),
    "ID of the wrong type": (
        COMMITMENT,
        lambda w: {"in": commitment_input(w, actionPlanId=w.a.gid("Milestone"))},
        "BAD_USER_INPUT",
        "actionPlanId",
    ),
    "ID of nothing": (
        COMMITMENT,
        lambda w: {
            "in": commitment_input(w, actionPlanId=to_global_id("ActionPlan", uuid.uuid4()))
        },
        "NOT_FOUND",
        "actionPlanId",
    ),
    "foreign lead agency": (
        COMMITMENT,
        lambda w: {"in": commitment_input(w, leadAgencyId=w.b.gid("Actor"))},
        "NOT_FOUND",
        "leadAgencyId",
    ),
    "milestone ends before it starts": (
        MILESTONE,
        lambda w: {
            "in": {
                "commitmentId": w.a.gid("Commitment"),
                "title": "m",
                "startDate": e,
                "endDate": s,
            }
        },
        "BAD_USER_INPUT",
        "endDate",
    ),
    "milestone outside its commitment": (
        MILESTONE,
        lambda w: {
            "in": {
                "commitmentId": w.a.gid("Commitment"),
                "title": "m",
                "startDate": before_start,
                "endDate": e,
            }
        },
        "BAD_USER_INPUT",
        "startDate",
    ),
    "negative milestone weight": (
        MILESTONE,
        lambda w: {
            "in": {
                "commitmentId": w.a.gid("Commitment"),
                "title": "m",
                "startDate": s,
                "endDate": e,
                "weight": -1,
            }
        },
        "BAD_USER_INPUT",
        "weight",
    ),
    "milestone update ends before it starts": (
        UPDATE_MILESTONE,
        lambda w: {"in": {"id": w.a.gid("Milestone"), "endDate": before_start}},
        "BAD_USER_INPUT",
        None,
    ),
    "percent above 100": (
        REPORT,
        lambda w: {"in": report_input(w, percent=100.5)},
        "BAD_USER_INPUT",
        "percent",
    ),
    "percent below 0": (
        REPORT,
        lambda w: {"in": report_input(w, percent=-1)},
        "BAD_USER_INPUT",
        "percent",
    ),
    "completed at 50 percent": (
        REPORT,
        lambda w: {"in": report_input(w, status="COMPLETED")},
        "BAD_USER_INPUT",
        "status",
    ),
    "evidence that is not a URL": (
        REPORT,
        lambda w: {"in": report_input(w, evidence=[{"url": "javascript:alert(1)"}])},
        "BAD_USER_INPUT",
        "evidence.url",
    ),
    "invalid enum in variables": (
        ACTOR,
        lambda w: {"in": {"kind": "ALIENS", "name": "x"}},
        "BAD_USER_INPUT",
        None,
    ),
    "bad e-mail": (
        ACTOR,
        lambda w: {"in": {"kind": "ACADEMIA", "name": "x", "contactEmail": "nope"}},
        "BAD_USER_INPUT",
        "contactEmail",
    ),
    "malformed node ID": (NODE, lambda w: {"id": "%%%"}, "BAD_USER_INPUT", "id"),
    "page larger than 100": (PLANS_PAGE, lambda w: {"first": 101}, "BAD_USER_INPUT", "first"),
    "malformed cursor": (
        PLANS_PAGE,
        lambda w: {"first": 1, "after": "bm9wZQ"},
        "BAD_USER_INPUT",
        "after",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_input_gets_a_code_and_changes_nothing(
    client: Any, db: Database, world: World, tokens: TokenService, case: str
) -> None:
    document, variables, code, field = CASES[case]
    before = (await snapshot(db, world.a), await snapshot(db, world.b))
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    result = await gql(
        client, document, variables(world), token=editor, headers={"Accept-Language": "es"}
    )
    assert error_codes(result) == [code], result
    error = result["errors"][0]
    if field:
        assert error["extensions"]["field"] == field
    assert "Traceback" not in json.dumps(result)
    assert (await snapshot(db, world.a), await snapshot(db, world.b)) == before


async def test_error_messages_speak_the_callers_language(
    client: Any, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    variables = {"in": report_input(world, percent=120)}
    es = await gql(
        client, REPORT, variables, token=editor, headers={"Accept-Language": "es-AR,es;q=0.9"}
    )
    en = await gql(client, REPORT, variables, token=editor, headers={"Accept-Language": "en"})
    pt = await gql(client, REPORT, variables, token=editor, headers={"Accept-Language": "pt-BR"})
    assert es["errors"][0]["message"] == "Debe estar entre 0 y 100."
    assert en["errors"][0]["message"] == "Must be between 0 and 100."
    assert pt["errors"][0]["message"] == "Deve estar entre 0 e 100."
    assert es["errors"][0]["extensions"]["message"] == {
        "en": "Must be between 0 and 100.",
        "es": "Debe estar entre 0 y 100.",
        "pt": "Deve estar entre 0 e 100.",
    }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_tokens(tokens: TokenService, slug: str, tmp_path: Any) -> dict[str, str]:
    from core.identity.tokens import Keyring, new_key

    good = tokens.issue(subject="x", role="editor", tenant=slug)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other_key = TokenService(tokens.issuer, tokens.audience, keyring=Keyring.of(new_key()))
    return {
        "expired": tokens.issue(subject="x", role="editor", tenant=slug, ttl_seconds=-120),
        "signed by another key": other_key.issue(subject="x", role="editor", tenant=slug),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "tampered claims": f"{header}.{_b64(claims | {'role': 'tenant_admin'})}.{signature}",
        "wrong audience": TokenService(tokens.issuer, "urn:other", keyring=tokens.keyring).issue(
            subject="x", role="editor", tenant=slug
        ),
        "wrong issuer": TokenService(
            "https://evil.example", tokens.audience, keyring=tokens.keyring
        ).issue(subject="x", role="editor", tenant=slug),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "expired",
        "signed by another key",
        "alg none",
        "tampered claims",
        "wrong audience",
        "wrong issuer",
        "garbage",
    ],
)
async def test_bad_tokens_are_unauthenticated_and_change_nothing(
    client: Any, db: Database, world: World, tokens: TokenService, kind: str, tmp_path: Any
) -> None:
    token = forged_tokens(tokens, world.a.slug, tmp_path)[kind]
    before = await snapshot(db, world.a)
    result = await gql(
        client, PLAN, {"in": {"title": "P", "startDate": s, "endDate": e}}, token=token
    )
    assert result["data"] is None
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await snapshot(db, world.a) == before


async def test_unknown_municipality(client: Any) -> None:
    result = await gql(client, "{ municipality { name } }", tenant="no-such-place")
    assert result["data"] is None
    assert error_codes(result) == ["TENANT_UNKNOWN"]


async def test_suspended_municipality(
    client: Any, db: Database, world: World, tokens: TokenService
) -> None:
    from core.enums import MunicipalityStatus
    from core.identity.principal import SYSTEM
    from tenants.provisioning import set_status

    await set_status(UnitOfWork(db), SYSTEM, world.b.slug, MunicipalityStatus.SUSPENDED)
    anonymous = await gql(client, "{ municipality { name } }", tenant=world.b.slug)
    editor = tokens.issue(subject="e", role="editor", tenant=world.b.slug)
    as_editor = await gql(
        client, PLAN, {"in": {"title": "P", "startDate": s, "endDate": e}}, token=editor
    )
    assert error_codes(anonymous) == error_codes(as_editor) == ["TENANT_SUSPENDED"]
    admin = tokens.issue(subject="root", role="platform_admin", tenant=None)
    as_admin = await gql(client, "{ municipality { status } }", token=admin, tenant=world.b.slug)
    assert as_admin["data"] == {"municipality": {"status": "SUSPENDED"}}


START_ASSESSMENT = (
    "mutation($in: StartAssessmentInput!) { startAssessment(input: $in) { assessment { id } } }"
)
ANSWER = (
    "mutation($in: AnswerIndicatorsInput!) { answerIndicators(input: $in) { assessment { id } } }"
)

PLUGIN_CASES: dict[str, tuple[str, Any, str, str | None]] = {
    "unknown instrument": (
        START_ASSESSMENT,
        lambda w: {"in": {"instrument": "nope", "title": "t", "assessedOn": s}},
        "BAD_USER_INPUT",
        "instrument",
    ),
    "instrument of a disabled plugin": (
        START_ASSESSMENT,
        lambda w: {"in": {"instrument": "maturity_model", "title": "t", "assessedOn": s}},
        "PLUGIN_DISABLED",
        None,
    ),
    "answer to an indicator that does not exist": (
        ANSWER,
        lambda w: {
            "in": {
                "assessmentId": w.a.gid("DraftAssessment"),
                "answers": [
                    {"indicator": "A1", "answer": "YES"},
                    {"indicator": "Z9", "answer": "YES"},
                ],
            }
        },
        "BAD_USER_INPUT",
        "answers.1.indicator",
    ),
    "answer outside the scale": (
        ANSWER,
        lambda w: {
            "in": {
                "assessmentId": w.a.gid("DraftAssessment"),
                "answers": [{"indicator": "A1", "answer": "MAYBE"}],
            }
        },
        "BAD_USER_INPUT",
        "answers.0.answer",
    ),
    "evidence that is not a URL": (
        ANSWER,
        lambda w: {
            "in": {
                "assessmentId": w.a.gid("DraftAssessment"),
                "answers": [{"indicator": "A1", "answer": "YES", "evidenceUrl": "ftp://x"}],
            }
        },
        "BAD_USER_INPUT",
        "answers.0.evidenceUrl",
    ),
    "answering a submitted assessment": (
        ANSWER,
        lambda w: {
            "in": {
                "assessmentId": w.a.gid("SubmittedAssessment"),
                "answers": [{"indicator": "A1", "answer": "NO"}],
            }
        },
        "CONFLICT",
        None,
    ),
    "submitting twice": (
        "mutation($id: ID!) { submitAssessment(input: {id: $id}) { assessment { id } } }",
        lambda w: {"id": w.a.gid("SubmittedAssessment")},
        "CONFLICT",
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(PLUGIN_CASES))
async def test_plugin_bad_input_gets_a_code_and_changes_nothing(
    client: Any, db: Database, world: World, tokens: TokenService, case: str
) -> None:
    document, variables, code, field = PLUGIN_CASES[case]
    before = (await snapshot(db, world.a), await snapshot(db, world.b))
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    result = await gql(client, document, variables(world), token=editor)
    assert error_codes(result) == [code], result
    if field:
        assert result["errors"][0]["extensions"]["field"] == field
    assert (await snapshot(db, world.a), await snapshot(db, world.b)) == before
