"""Cursor pagination: pages per parent, stable cursors, the cap of 100."""

from __future__ import annotations

from typing import Any

from core.commitments import service as commitments
from core.identity.principal import SYSTEM
from tenants.database import Database
from tests.factories import END, START, World, gql, publish_changes

PAGE = """query($id: ID!, $after: String) { node(id: $id) { ... on ActionPlan {
  commitments(first: 3, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { code } } } } }"""


async def add_commitments(db: Database, world: World, codes: list[str]) -> None:
    async with db.session(world.a.binding) as session:
        for code in codes:
            await commitments.create(
                session,
                SYSTEM,
                commitments.CommitmentData(
                    plan_id=world.a.plan_id, code=code, title=code, start_date=START, end_date=END
                ),
            )
    await publish_changes(db, world.a)  # the public reads the plan's published version


async def test_walking_pages_returns_every_commitment_once_in_order(
    client: Any, db: Database, world: World
) -> None:
    await add_commitments(db, world, ["7", "2", "5", "3", "6", "4"])
    seen, after, pages = [], None, 0
    while True:
        result = await gql(
            client, PAGE, {"id": world.a.gid("ActionPlan"), "after": after}, tenant=world.a.slug
        )
        connection = result["data"]["node"]["commitments"]
        seen += [n["code"] for n in connection["nodes"]]
        assert connection["totalCount"] == 7
        assert connection["pageInfo"]["hasPreviousPage"] == (after is not None)
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == ["1", "2", "3", "4", "5", "6", "7"]
    assert pages == 3


async def test_a_list_that_ends_on_a_page_boundary_has_no_next_page(
    client: Any, db: Database, world: World
) -> None:
    """``hasNextPage`` comes from the window's count, not from a row read beyond the page."""
    await add_commitments(db, world, ["2", "3", "4", "5", "6"])
    variables: dict[str, Any] = {"id": world.a.gid("ActionPlan")}
    first = (await gql(client, PAGE, variables, tenant=world.a.slug))["data"]["node"]
    assert first["commitments"]["pageInfo"]["hasNextPage"] is True
    variables["after"] = first["commitments"]["pageInfo"]["endCursor"]
    last = (await gql(client, PAGE, variables, tenant=world.a.slug))["data"]["node"]
    assert [n["code"] for n in last["commitments"]["nodes"]] == ["4", "5", "6"]
    assert last["commitments"]["pageInfo"]["hasNextPage"] is False
    assert last["commitments"]["pageInfo"]["hasPreviousPage"] is True


async def test_a_cursor_survives_insertions_before_it(
    client: Any, db: Database, world: World
) -> None:
    await add_commitments(db, world, ["3", "4", "5"])
    first = await gql(client, PAGE, {"id": world.a.gid("ActionPlan")}, tenant=world.a.slug)
    assert [n["code"] for n in first["data"]["node"]["commitments"]["nodes"]] == ["1", "3", "4"]
    cursor = first["data"]["node"]["commitments"]["pageInfo"]["endCursor"]
    await add_commitments(db, world, ["0", "2"])  # both sort before the cursor
    second = await gql(
        client, PAGE, {"id": world.a.gid("ActionPlan"), "after": cursor}, tenant=world.a.slug
    )
    assert [n["code"] for n in second["data"]["node"]["commitments"]["nodes"]] == ["5"]


async def test_each_parent_gets_its_own_page(
    client: Any, db: Database, world: World, tokens: Any
) -> None:
    """Two plans in one query: a batch-wide LIMIT would starve the second plan."""
    await add_commitments(db, world, ["2", "3", "4"])
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    result = await gql(
        client,
        "{ actionPlans(first: 10) { nodes { title commitments(first: 2) { nodes { code } } } } }",
        token=editor,
    )
    by_plan = {
        p["title"]: [c["code"] for c in p["commitments"]["nodes"]]
        for p in result["data"]["actionPlans"]["nodes"]
    }
    assert by_plan == {"Plan a": ["1", "2"], "Borrador a": ["D1"]}


async def test_status_filter(client: Any, world: World, tokens: Any) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    result = await gql(
        client, "{ actionPlans(status: [DRAFT]) { totalCount nodes { status } } }", token=editor
    )
    assert result["data"]["actionPlans"] == {"totalCount": 1, "nodes": [{"status": "DRAFT"}]}


async def test_totals_come_with_the_first_page_and_count_what_the_caller_sees(
    client: Any, db: Database, world: World, tokens: Any, count_statements: Any
) -> None:
    """``totalCount`` of a page read from its start comes from the page's own statement (no
    count statement runs); it counts only what the caller may see, and 0 for an empty list."""
    await add_commitments(db, world, ["2", "3"])
    query = """query($id: ID!) { node(id: $id) { ... on ActionPlan {
      commitments(first: 1) { totalCount nodes { code milestones(first: 1) { totalCount } } } } } }"""
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    count_statements.statements.clear()
    public = await gql(client, query, {"id": world.a.gid("ActionPlan")}, tenant=world.a.slug)
    assert not any("count(*)" in s and "GROUP BY" in s for s in count_statements.statements)
    drafts = await gql(
        client, query, {"id": world.a.gid("ActionPlan")}, tenant=world.a.slug, token=editor
    )
    plan = public["data"]["node"]["commitments"]
    assert plan["totalCount"] == 3 and [n["code"] for n in plan["nodes"]] == ["1"]
    assert drafts["data"]["node"]["commitments"]["totalCount"] >= plan["totalCount"]
    # the commitments added here have no milestone: their list is empty, and says 0
    page_of_2 = await gql(
        client,
        query.replace("first: 1) { totalCount nodes", "first: 3) { totalCount nodes"),
        {"id": world.a.gid("ActionPlan")},
        tenant=world.a.slug,
    )
    totals = {
        n["code"]: n["milestones"]["totalCount"]
        for n in page_of_2["data"]["node"]["commitments"]["nodes"]
    }
    assert totals["2"] == totals["3"] == 0 and totals["1"] >= 1
