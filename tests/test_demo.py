"""The demo municipality answers the portal query anonymously, as `make run` promises."""

from __future__ import annotations

from typing import Any

from graphql_schema.view import PORTAL_QUERY
from tenants.database import Database
from tests.factories import gql
from usina.demo import SLUG, seed


async def test_demo_seed_answers_the_portal_query_anonymously(client: Any, db: Database) -> None:
    await seed(db)
    _, created_again = await seed(db)
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
