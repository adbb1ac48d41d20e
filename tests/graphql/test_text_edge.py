"""Text at the edge: NUL bytes and lone surrogates are refused where text is decoded, naming
the field and changing nothing; malformed bodies answer 400 in the caller's language; what a
row already holds is always encodable on the way out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from core.enums import MilestoneStatus
from core.identity.tokens import TokenService
from core.plans.models import ActionPlan
from core.progress.models import ProgressReport
from tenants.database import Database
from tests.factories import World, error_codes

REPORT = "mutation($in: ReportProgressInput!) { reportProgress(input: $in) { report { id } } }"
PLAN = (
    "mutation($in: CreateActionPlanInput!) { createActionPlan(input: $in) { actionPlan { id } } }"
)
REPORTS = "{ actionPlans(first: 5) { nodes { commitments(first: 5) { nodes { milestones(first: 5) { nodes { reports(first: 5) { nodes { evidence { title url } } } } } } } } } }"


async def post_raw(
    client: Any, body: bytes, *, tenant: str, token: str | None = None, language: str = "en"
) -> Any:
    """A body sent as is: ``json.dumps`` keeps lone surrogates as ASCII escapes, as a hostile
    client would send them."""
    headers = {"content-type": "application/json", "X-Tenant": tenant, "Accept-Language": language}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", content=body, headers=headers)


def body(query: str, variables: Any = None, **extra: Any) -> bytes:
    return json.dumps({"query": query, "variables": variables, **extra}).encode()


def plan_input(title: str) -> dict[str, Any]:
    return {"in": {"title": title, "startDate": "2026-01-01", "endDate": "2026-12-01"}}


def report_input(w: World, title: str) -> dict[str, Any]:
    evidence = [{"url": "http://a.example/x", "title": title}]
    return {"in": {"milestoneId": w.a.gid("Milestone"), "percent": 50, "evidence": evidence}}


# name: (body(world), the field named)
CASES: dict[str, tuple[Any, str]] = {
    "NUL in a variable": (lambda w: body(PLAN, plan_input("Plan\x00")), "variables.in.title"),
    "lone surrogate in a JSON scalar's nested string": (
        lambda w: body(REPORT, report_input(w, "t\ud800")),
        "variables.in.evidence.0.title",
    ),
    "lone low surrogate": (
        lambda w: body(PLAN, plan_input("\udc00 plan")),
        "variables.in.title",
    ),
    "NUL in a key of a JSON scalar": (
        lambda w: body(REPORT, {"in": {**report_input(w, "t")["in"], "extra\x00": 1}}),
        "variables.in.extra\x00",
    ),
    "NUL in a string literal of the document": (
        lambda w: body(
            'mutation { createActionPlan(input: {title: "P\\u0000", startDate: "2026-01-01", '
            'endDate: "2026-12-01"}) { actionPlan { id } } }'
        ),
        "query",
    ),
    "NUL in the operation name": (
        lambda w: body(PLAN, plan_input("P"), operationName="x\x00"),
        "operationName",
    ),
}


async def counts(db: Database, w: World) -> tuple[int, int]:
    async with db.session(w.a.binding) as session:
        plans = await session.scalar(select(func.count()).select_from(ActionPlan))
        reports = await session.scalar(select(func.count()).select_from(ProgressReport))
    return int(plans or 0), int(reports or 0)


@pytest.mark.parametrize("case", list(CASES))
async def test_text_that_cannot_be_stored_is_refused_naming_the_field(
    client: Any, db: Database, world: World, tokens: TokenService, case: str
) -> None:
    make, field = CASES[case]
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    before = await counts(db, world)
    response = await post_raw(client, make(world), tenant=world.a.slug, token=editor)
    assert response.status_code == 200, response.text
    result = response.json()
    assert error_codes(result) == ["BAD_USER_INPUT"], result
    assert result["errors"][0]["extensions"]["field"] == field.replace("\x00", "\ufffd")
    assert not result.get("data")
    assert await counts(db, world) == before


# name: (raw body, the English message's start)
MALFORMED: dict[str, tuple[bytes, str]] = {
    "invalid UTF-8": (b'{"query":"{__typename}\xff"}', "The request body is not valid UTF-8"),
    "nested 5,000 deep": (
        b'{"query":"{__typename}","variables":{"a":' + b"[" * 5000 + b"]" * 5000 + b"}}",
        "The request body is nested more than 1,024",
    ),
    "a list of numbers": (b"[1, 2]", "The request body must be a JSON object"),
    "a bare string": (b'"{ __typename }"', "The request body must be a JSON object"),
    "not JSON": (b"{query: 1", "The request body is not valid JSON"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("language", ["en", "es", "pt"])
async def test_a_malformed_body_answers_400_in_the_callers_language(
    client: Any, world: World, case: str, language: str
) -> None:
    raw, english = MALFORMED[case]
    response = await post_raw(client, raw, tenant=world.a.slug, language=language)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["extensions"]["message"]["en"].startswith(english)
    assert error["message"] == error["extensions"]["message"][language]


async def test_a_row_that_already_holds_a_lone_surrogate_is_still_read(
    client: Any, db: Database, world: World
) -> None:
    """Rows written before the edge check (or by a path that skipped it) never break a read:
    the answer carries U+FFFD where the row holds a lone surrogate."""
    async with db.session(world.a.binding) as session:  # a row as an old version stored it
        session.add(
            ProgressReport(
                plan_id=world.a.plan_id,
                milestone_id=world.a.milestone_id,
                percent=40,
                status=MilestoneStatus.IN_PROGRESS,
                evidence=[{"url": "http://a.example/x", "title": "broken \ud800 title"}],
                author_subject="editor-a",
            )
        )
        await session.commit()
    response = await client.post(
        "/graphql", json={"query": REPORTS}, headers={"X-Tenant": world.a.slug}
    )
    assert response.status_code == 200, response.text
    assert "broken \ufffd title" in response.content.decode("utf-8")
