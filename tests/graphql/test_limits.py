"""Operation limits: each refuses with QUERY_TOO_COMPLEX before any resolver or SQL runs, and
the cost is reported in extensions.cost."""

from __future__ import annotations

from typing import Any

import pytest

from core.identity.tokens import TokenService
from graphql_schema.view import PORTAL_QUERY
from tests.factories import World, error_codes
from tests.fixture_plugin import usina_fixture

DEEP = "{ actionPlans { nodes { commitments { nodes { milestones { nodes { commitment { actionPlan { commitments { nodes { milestones { nodes { title } } } } } } } } } } } } }"
ALIASES = "{ " + " ".join(f"a{i}: viewer {{ subject }}" for i in range(31)) + " }"
COSTLY = "{ actionPlans(first: 100) { nodes { commitments(first: 100) { nodes { milestones(first: 100) { nodes { title } } } } } } }"
TOKENS = "{ " + " ".join("viewer { subject }" for _ in range(2600)) + " }"

CASES = {
    "depth": (DEEP, "depth"),
    "aliases": (ALIASES, "aliases"),
    "cost": (COSTLY, "cost"),
    "tokens": (TOKENS, None),  # refused by the parser
}


def _names_the_municipality(statement: str) -> bool:
    lowered = statement.lower()
    return lowered.startswith("set local ") or (
        lowered.startswith("select") and "from municipalities" in lowered
    )


@pytest.mark.parametrize("case", sorted(CASES))
async def test_each_limit_refuses_before_any_resolver_or_sql(
    client: Any, world: World, tokens: TokenService, count_statements: Any, case: str
) -> None:
    document, limit = CASES[case]
    # The fixture plugin's resolver counts its calls: it rides along in the refused operation.
    usina_fixture.CALLS.clear()
    document = document.replace("{ ", "{ fixtureGreeting ", 1) if case != "tokens" else document
    count_statements.statements.clear()
    response = await client.post(
        "/graphql",
        json={"query": document},
        headers={"X-Tenant": world.a.slug, "Accept": "application/graphql-response+json"},
    )
    body = response.json()
    assert response.status_code == 400
    assert "data" not in body
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    if limit:
        assert body["errors"][0]["extensions"]["limit"] == limit
        assert body["errors"][0]["extensions"]["value"] > body["errors"][0]["extensions"]["maximum"]
    # Nothing is read but the municipality the request names (authentication, in front).
    assert [s for s in count_statements.statements if not _names_the_municipality(s)] == []
    assert usina_fixture.CALLS == []


async def test_the_cost_is_reported(client: Any, world: World) -> None:
    response = await client.post(
        "/graphql", json={"query": PORTAL_QUERY}, headers={"X-Tenant": world.a.slug}
    )
    cost = response.json()["extensions"]["cost"]
    # 5 plans, 20 commitments each, 20 milestones each, 1 report each: 5 + 100 + 2000 + 2000
    assert cost["requestedQueryCost"] == 4105
    assert cost["rateLimitCost"] == 22  # (1 + 5 + 100 + 2000) calls / 100, rounded up
    assert cost["maximumAvailable"] == 50_000


async def test_variables_count_in_the_cost(client: Any, world: World) -> None:
    query = "query($n: Int) { actionPlans(first: $n) { nodes { id } } }"
    for n, expected in ((3, 3), (None, 20), (500, 100)):  # default 20; a page is at most 100
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": {"n": n}},
            headers={"X-Tenant": world.a.slug},
        )
        assert response.json()["extensions"]["cost"]["requestedQueryCost"] == expected


async def test_introspection_is_not_held_to_the_depth_limit(client: Any) -> None:
    query = "{ __schema { types { name fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }"
    response = await client.post("/graphql", json={"query": query})
    assert "errors" not in response.json()


def relay_form(document: str) -> str:
    """``nodes { ... }`` rewritten as Relay's ``edges { node { ... } }``."""
    out, stack, i = [], [], 0
    while i < len(document):
        if document.startswith("nodes {", i):
            out.append("edges { node {")
            stack.append(True)
            i += len("nodes {")
        elif document[i] == "{":
            out.append("{")
            stack.append(False)
            i += 1
        elif document[i] == "}":
            out.append("} }" if stack.pop() else "}")
            i += 1
        else:
            out.append(document[i])
            i += 1
    return "".join(out)


def test_relays_edges_and_node_are_not_depth() -> None:
    """Relay's form of the portal tree measures as deep as its ``nodes`` form; the node
    count, which prices every node, is the same either way."""
    from graphql import parse

    from graphql_schema.limits import measure
    from graphql_schema.schema import build_schema
    from plugins.manager import make_plugin_manager

    schema = build_schema(make_plugin_manager(entrypoints=False))._schema
    relay = relay_form(PORTAL_QUERY)
    assert relay.count("edges { node {") == 4
    nodes_form = measure(schema, parse(PORTAL_QUERY), None, None)
    relay_measure = measure(schema, parse(relay), None, None)
    assert relay_measure.depth == nodes_form.depth
    assert relay_measure.nodes == nodes_form.nodes


def test_a_document_without_variables_is_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser cache gives the same document for the same text: its measure is computed
    once, and each request gets its own copy; variables (``first: $n``) are measured each time."""
    from graphql import parse

    from graphql_schema import limits
    from graphql_schema.schema import build_schema
    from plugins.manager import make_plugin_manager

    schema = build_schema(make_plugin_manager(entrypoints=False))._schema
    walks: list[Any] = []
    real = limits._measure
    monkeypatch.setattr(limits, "_measure", lambda *a: walks.append(a) or real(*a))
    document = parse(PORTAL_QUERY)
    first = limits.measure(schema, document, None, None)
    first.nodes = -1  # a request's own copy
    again = limits.measure(schema, document, None, None)
    assert len(walks) == 1 and again.nodes > 0
    assert again == limits.measure(schema, parse(PORTAL_QUERY), None, None)  # a new document
    assert len(walks) == 2
    paged = parse("query Q($n: Int) { municipality { actionPlans(first: $n) { totalCount } } }")
    assert limits.measure(schema, paged, None, {"n": 2}).nodes == 2
    assert limits.measure(schema, paged, None, {"n": 3}).nodes == 3
