"""The demo municipality answers the portal query anonymously, as `make run` promises."""

from __future__ import annotations

from typing import Any

from graphql_schema.view import PORTAL_QUERY
from tenants.database import Database
from tenants.unit_of_work import UnitOfWork
from tests.factories import gql
from usina.demo import SLUG, seed


async def test_demo_seed_answers_the_portal_query_anonymously(client: Any, db: Database) -> None:
    await seed(UnitOfWork(db))
    _, created_again = await seed(UnitOfWork(db))
    assert created_again is False
    result = await gql(client, PORTAL_QUERY, tenant=SLUG)
    assert "errors" not in result, result
    municipality = result["data"]["municipality"]
    assert municipality["name"] == "Villa Usina (demo)"
    plans = municipality["actionPlans"]["nodes"]
    assert [p["status"] for p in plans] == ["IMPLEMENTATION"]  # the draft stays private
    commitments = plans[0]["commitments"]["nodes"]
    assert [c["code"] for c in commitments] == ["1", "2", "3"]
    # (100*1 + 60*2 + 0*1) / 4 = 55; (100*2 + 40*1) / 3 = 80; 0 -> plan mean 45
    assert [c["progress"] for c in commitments] == [55.0, 80.0, 0.0]
    assert [c["completionLevel"] for c in commitments] == [
        "SUBSTANTIAL",
        "SUBSTANTIAL",
        "NOT_STARTED",
    ]
    assert plans[0]["progress"] == 45.0
    latest = commitments[0]["milestones"]["nodes"][1]["reports"]["nodes"]
    assert latest[0]["percent"] == 60.0 and latest[0]["evidence"][0]["url"].startswith("https://")


async def test_the_demo_shows_the_whole_method(client: Any, db: Database) -> None:
    await seed(UnitOfWork(db))
    result = await gql(
        client,
        """{
      assessments { nodes { status overallScore gaps { indicator { code } } } }
      actionPlans { nodes { id channels { kind contributions(kind: PROPOSAL) { nodes { title outcome response supportCount } } }
        commitments(first: 1) { nodes { addressesGaps { indicatorCode } takesUp { title } evaluations { status ratings { code value { code } } } } } } }
    }""",
        tenant=SLUG,
    )
    assert "errors" not in result, result
    (assessment,) = result["data"]["assessments"]["nodes"]
    assert assessment["status"] == "VALIDATED" and 0 < assessment["overallScore"] < 50
    plan = result["data"]["actionPlans"]["nodes"][0]
    proposals = [
        p
        for c in plan["channels"]
        if c["kind"] == "consultation"
        for p in c["contributions"]["nodes"]
    ]
    assert {p["outcome"] for p in proposals} == {"ACCEPTED", "DECLINED"} and all(
        p["response"] for p in proposals
    )
    first = plan["commitments"]["nodes"][0]
    assert [g["indicatorCode"] for g in first["addressesGaps"]] == ["C1", "C5"]
    assert first["takesUp"] == [{"title": "Presupuesto en datos abiertos"}]
    ratings = {
        r["code"]: r["value"] and r["value"]["code"] for r in first["evaluations"][0]["ratings"]
    }
    assert ratings["PROMISING"] == "YES" and ratings["COMPLETION"] == "SUBSTANTIAL"
    checklist = await gql(
        client,
        "query($p: ID!) { cocreationChecklist(actionPlanId: $p) { metCount total } }",
        {"p": plan["id"]},
        tenant=SLUG,
    )
    assert checklist["data"]["cocreationChecklist"] == {"metCount": 6, "total": 6}
