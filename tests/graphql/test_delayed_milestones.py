"""Delayed milestones listed per plan and per municipality, and a plan's commitments filtered
by tag, lead agency, OGP value, completion level and delays (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from core.commitments import service as commitments
from core.enums import MilestoneStatus
from core.identity.principal import SYSTEM
from core.identity.tokens import TokenService
from core.milestones import service as milestones
from core.progress import service as progress
from tenants.database import Database
from tests.factories import START, TODAY, Tenant, World, error_codes, gql, publish_changes

PLAN_DELAYED = (
    "query($p: ID!, $after: String) { node(id: $p) { ... on ActionPlan { "
    "delayedMilestones(first: 1, after: $after) { totalCount nodes { title isDelayed } "
    "pageInfo { hasNextPage endCursor } } } } }"
)
ALL_DELAYED = (
    "query($after: String) { delayedMilestones(first: 1, after: $after) { totalCount "
    "nodes { title endDate commitment { code } } pageInfo { hasNextPage endCursor } } }"
)
COMMITMENTS = (
    "query($p: ID!, $tag: String, $lead: ID, $value: OgpValue, $levels: [CompletionLevel!], "
    "$delayed: Boolean, $first: Int, $after: String) { node(id: $p) { ... on ActionPlan { "
    "commitments(tag: $tag, leadAgencyId: $lead, ogpValue: $value, completionLevel: $levels, "
    "delayed: $delayed, first: $first, after: $after) { totalCount nodes { code } "
    "pageInfo { hasNextPage endCursor } } } } }"
)


async def add_delays(db: Database, tenant: Tenant, label: str) -> None:
    """Commitment 2 (tag "datos", civic participation, no lead agency) with two milestones
    past due, one of them finished; commitment 3, finished on time; and a milestone past due
    in the draft plan, which is not monitored."""
    async with db.session(tenant.binding) as session:
        second = await commitments.create(
            session,
            SYSTEM,
            commitments.CommitmentData(
                plan_id=tenant.plan_id,
                code="2",
                title="Datos",
                start_date=START,
                end_date=TODAY + timedelta(days=90),
                ogp_values=["CIVIC_PARTICIPATION"],
                tags=["datos"],
            ),
        )
        for title, days_ago in ((f"{label} muy demorado", 20), (f"{label} demorado", 5)):
            await milestones.create(
                session,
                SYSTEM,
                milestones.MilestoneData(
                    commitment_id=second.id,
                    title=title,
                    start_date=START,
                    end_date=TODAY - timedelta(days=days_ago),
                ),
            )
        done = await milestones.create(
            session,
            SYSTEM,
            milestones.MilestoneData(
                commitment_id=second.id,
                title=f"{label} terminado tarde",
                start_date=START,
                end_date=TODAY - timedelta(days=30),
            ),
        )
        await progress.report(
            session, SYSTEM, progress.ReportData(milestone_id=done.id, percent=100)
        )
        third = await commitments.create(
            session,
            SYSTEM,
            commitments.CommitmentData(
                plan_id=tenant.plan_id,
                code="3",
                title="Cumplido",
                start_date=START,
                end_date=TODAY + timedelta(days=90),
            ),
        )
        finished = await milestones.create(
            session,
            SYSTEM,
            milestones.MilestoneData(
                commitment_id=third.id, title="a tiempo", start_date=START, end_date=TODAY
            ),
        )
        await progress.report(
            session,
            SYSTEM,
            progress.ReportData(
                milestone_id=finished.id, percent=100, status=MilestoneStatus.COMPLETED
            ),
        )
        await milestones.create(
            session,
            SYSTEM,
            milestones.MilestoneData(
                commitment_id=tenant.draft_commitment_id,
                title=f"{label} en borrador",
                start_date=START,
                end_date=TODAY - timedelta(days=50),
            ),
        )
    await publish_changes(db, tenant)  # the public reads the plan's published version


async def pages(client: httpx.AsyncClient, document: str, tenant: str, **variables: Any) -> Any:
    """Every page of a connection, one item per page, following ``endCursor``."""
    seen: list[Any] = []
    totals: set[int] = set()
    after = None
    while True:
        result = await gql(client, document, variables | {"after": after}, tenant=tenant)
        assert error_codes(result) == [], result
        data = result["data"]
        found = data["node"]["delayedMilestones"] if "node" in data else data["delayedMilestones"]
        totals.add(found["totalCount"])
        seen += found["nodes"]
        if not found["pageInfo"]["hasNextPage"]:
            return seen, totals
        after = found["pageInfo"]["endCursor"]


async def test_delayed_milestones_of_a_plan_and_of_the_municipality(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a, b = world.a, world.b
    await add_delays(db, a, "A")
    await add_delays(db, b, "B")

    in_plan, totals = await pages(client, PLAN_DELAYED, a.slug, p=a.gid("ActionPlan"))
    assert in_plan == [
        {"title": "A muy demorado", "isDelayed": True},
        {"title": "A demorado", "isDelayed": True},
    ]
    assert totals == {2}
    everywhere, totals = await pages(client, ALL_DELAYED, a.slug)
    assert [(m["title"], m["commitment"]["code"]) for m in everywhere] == [
        ("A muy demorado", "2"),
        ("A demorado", "2"),
    ]
    assert totals == {2}

    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    for status in ("IMPLEMENTATION", "CLOSED"):  # a closed plan is no longer monitored
        moved = await gql(
            client,
            "mutation($id: ID!, $to: ActionPlanStatus!) { transitionActionPlan(input: "
            "{id: $id, to: $to}) { actionPlan { status } } }",
            {"id": a.gid("ActionPlan"), "to": status},
            token=editor,
        )
        assert error_codes(moved) == [], moved
    assert (await pages(client, ALL_DELAYED, a.slug))[0] == []


async def commitment_codes(client: httpx.AsyncClient, tenant: Tenant, **variables: Any) -> Any:
    result = await gql(
        client, COMMITMENTS, {"p": tenant.gid("ActionPlan")} | variables, tenant=tenant.slug
    )
    assert error_codes(result) == [], result
    found = result["data"]["node"]["commitments"]
    return [c["code"] for c in found["nodes"]], found["totalCount"]


async def test_commitments_filtered(client: httpx.AsyncClient, db: Database, world: World) -> None:
    a = world.a
    await add_delays(db, a, "A")
    assert await commitment_codes(client, a) == (["1", "2", "3"], 3)
    assert await commitment_codes(client, a, tag="datos") == (["2"], 1)
    assert await commitment_codes(client, a, tag="otra") == ([], 0)
    assert await commitment_codes(client, a, lead=a.gid("Actor")) == (["1"], 1)
    assert await commitment_codes(client, a, value="CIVIC_PARTICIPATION") == (["2"], 1)
    assert await commitment_codes(client, a, value="ACCESS_TO_INFORMATION") == (["1"], 1)
    # 1: one milestone at 30 %; 2: one of three done; 3: its only milestone complete.
    assert await commitment_codes(client, a, levels=["COMPLETE"]) == (["3"], 1)
    assert await commitment_codes(client, a, levels=["LIMITED", "SUBSTANTIAL"]) == (
        ["1", "2"],
        2,
    )
    assert await commitment_codes(client, a, delayed=True) == (["2"], 1)
    assert await commitment_codes(client, a, delayed=False) == (["1", "3"], 2)
    assert await commitment_codes(client, a, delayed=True, tag="otra") == ([], 0)

    first = await gql(
        client,
        COMMITMENTS,
        {"p": a.gid("ActionPlan"), "delayed": False, "first": 1},
        tenant=a.slug,
    )
    found = first["data"]["node"]["commitments"]
    assert ([c["code"] for c in found["nodes"]], found["pageInfo"]["hasNextPage"]) == (["1"], True)
    rest = await commitment_codes(
        client, a, delayed=False, first=5, after=found["pageInfo"]["endCursor"]
    )
    assert rest == (["3"], 2)

    bad = await gql(
        client,
        COMMITMENTS,
        {"p": a.gid("ActionPlan"), "lead": a.gid("Commitment")},
        tenant=a.slug,
    )
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert bad["errors"][0]["extensions"]["field"] == "leadAgencyId"
