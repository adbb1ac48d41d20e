"""The endpoint's protections beyond the operation limits: the request deadline (and
PostgreSQL's statement_timeout), the body size limit, batching's cap, and production mode
(introspection and GraphiQL for the staff only, no field suggestions)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from tenants.database import Database
from tenants.isolation import STATEMENT_TIMEOUT
from tests.factories import World, error_codes, gql
from tests.graphql.test_bad_input import snapshot


async def app_client(db: Database, **settings: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(Settings(**settings), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield app, http
    await app.state.oidc.close()


@pytest.fixture
async def hasty(db: Database) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async for pair in app_client(db, request_timeout_seconds=0.2):
        yield pair


@pytest.fixture
async def production(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for _, http in app_client(db, environment="production", public_url="http://testserver"):
        yield http


@pytest.fixture
async def small(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for _, http in app_client(db, max_body_bytes=1_000, max_batch_operations=3):
        yield http


async def test_a_request_past_its_deadline_is_stopped_and_changes_nothing(
    hasty: tuple[Any, httpx.AsyncClient],
    db: Database,
    world: World,
    tokens: TokenService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, http = hasty
    authenticate = app.state.authenticator.authenticate

    async def slow(*args: Any) -> Any:
        found = await authenticate(*args)
        await asyncio.sleep(5)
        return found

    monkeypatch.setattr(app.state.authenticator, "authenticate", slow)
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    before = await snapshot(db, world.a)
    response = await http.post(
        "/graphql",
        json={
            "query": 'mutation { createActor(input: {kind: GOVERNMENT, name: "x"}) { actor { id } } }'
        },
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert response.status_code == 503
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["DEADLINE_EXCEEDED"]
    assert await snapshot(db, world.a) == before


@pytest.mark.postgres
async def test_postgresql_cuts_statements_at_the_deadline(postgres_urls: dict[str, str]) -> None:
    db = Database.from_url(postgres_urls["app"])
    try:
        await _statement_timeout(db)
    finally:
        await db.dispose()


async def _statement_timeout(db: Database) -> None:
    async with db.sessionmaker(info={"tenant": None, STATEMENT_TIMEOUT: 100}) as session:
        with pytest.raises(DBAPIError, match="statement timeout"):
            await session.execute(text("SELECT pg_sleep(2)"))
    async with db.sessionmaker(info={"tenant": None}) as session:  # not carried over
        timeout = (await session.execute(text("SHOW statement_timeout"))).scalar_one()
    assert timeout == "0"


async def test_a_body_over_the_limit_is_refused(small: httpx.AsyncClient, world: World) -> None:
    query = "{ municipality { name } }" + " " * 2_000
    declared = await small.post(
        "/graphql", json={"query": query}, headers={"X-Tenant": world.a.slug}
    )

    async def stream() -> AsyncIterator[bytes]:
        yield b'{"query": "{ municipality { name } }", "x": "'
        for _ in range(10):
            yield b"a" * 200
        yield b'"}'

    streamed = await small.post(
        "/graphql",
        content=stream(),
        headers={"X-Tenant": world.a.slug, "Content-Type": "application/json"},
    )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_batches_are_capped(small: httpx.AsyncClient, world: World) -> None:
    one = {"query": "{ municipality { slug } }"}
    ok = await small.post("/graphql", json=[one] * 3, headers={"X-Tenant": world.a.slug})
    assert [r["data"]["municipality"]["slug"] for r in ok.json()] == [world.a.slug] * 3
    refused = await small.post("/graphql", json=[one] * 4, headers={"X-Tenant": world.a.slug})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", ["UNAUTHENTICATED"]), ("participant", ["FORBIDDEN"]), ("editor", [])],
)
async def test_production_shows_the_schema_to_the_staff_only(
    production: httpx.AsyncClient,
    world: World,
    tokens: TokenService,
    role: str,
    expected: list[str],
) -> None:
    token = (
        None if role == "anonymous" else tokens.issue(subject="x", role=role, tenant=world.a.slug)
    )
    result = await gql(production, INTROSPECTION, tenant=world.a.slug, token=token)
    assert error_codes(result) == expected
    typename = await gql(production, "{ __typename }", tenant=world.a.slug)
    assert typename["data"] == {"__typename": "Query"}
    hidden = await gql(
        production,
        '{ ...F } fragment F on Query { __type(name: "Query") { name } }',
        tenant=world.a.slug,
        token=token,
    )
    assert error_codes(hidden) == expected


async def test_production_makes_no_field_suggestions(
    production: httpx.AsyncClient, client: httpx.AsyncClient, world: World
) -> None:
    typo = "{ municipalty { name } }"
    development = await gql(client, typo, tenant=world.a.slug)  # A speaks Spanish
    error = development["errors"][0]
    assert "¿Quiso decir 'municipality' o 'municipalities'?" in error["message"]
    assert "Did you mean" in error["extensions"]["message"]["en"]
    result = await gql(production, typo, tenant=world.a.slug)
    assert error_codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    error = result["errors"][0]
    assert "¿Quiso decir" not in error["message"]
    assert "Did you mean" not in error["extensions"]["message"]["en"]


async def test_production_serves_graphiql_to_the_staff_only(
    production: httpx.AsyncClient, client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    html = {"Accept": "text/html"}
    assert (await client.get("/graphql", headers=html)).status_code == 200  # development
    anonymous = await production.get("/graphql", headers=html)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    editor = tokens.issue(subject="x", role="editor", tenant=world.a.slug)
    staff = await production.get("/graphql", headers=html | {"Authorization": f"Bearer {editor}"})
    assert staff.status_code == 200
    assert "GraphiQL" in staff.text


async def test_each_operation_of_a_batch_runs_on_its_own(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    """Mutations and aliased queries in one batch: each its own session and unit of work, in
    the order sent; none answers INTERNAL_SERVER_ERROR and none is lost."""
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    update = (
        "mutation($in: UpdateActionPlanInput!) { updateActionPlan(input: $in) "
        "{ actionPlan { title } } }"
    )
    plan = world.a.gid("DraftActionPlan")  # a draft: a published plan's edits wait
    aliased = "{ " + " ".join(f"a{i}: municipality {{ slug }}" for i in range(30)) + " }"
    batch = [
        {"query": update, "variables": {"in": {"id": plan, "title": "First title"}}},
        {"query": update, "variables": {"in": {"id": plan, "title": "Second title"}}},
        *([{"query": aliased}] * 8),
    ]
    answer = await client.post(
        "/graphql", json=batch, headers={"Authorization": f"Bearer {editor}"}
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()
    assert [error_codes(r) for r in results] == [[]] * len(batch), results
    assert [r["data"]["updateActionPlan"]["actionPlan"]["title"] for r in results[:2]] == [
        "First title",
        "Second title",
    ]
    assert all(len(r["data"]) == 30 for r in results[2:])
    final = await gql(client, "{ actionPlans { nodes { title } } }", token=editor)
    assert "Second title" in [p["title"] for p in final["data"]["actionPlans"]["nodes"]]


async def test_production_answers_only_for_the_platforms_hosts(db: Database, world: World) -> None:
    async for _, http in app_client(
        db,
        environment="production",
        public_url="https://api.usina-platform.example",
        base_domain="usina.example",
    ):
        query = {"query": "{ municipality { slug } }"}
        refused = await http.post(
            "/graphql", json=query, headers={"Host": "evil.example:666", "X-Tenant": world.a.slug}
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "HOST_NOT_ALLOWED"
        for host in ("api.usina-platform.example", f"{world.a.slug}.usina.example"):
            ok = await http.post(
                "/graphql", json=query, headers={"Host": host, "X-Tenant": world.a.slug}
            )
            assert ok.json().get("data", {}).get("municipality", {}).get("slug") == world.a.slug, (
                ok.text
            )
        probe = await http.get("/healthz", headers={"Host": "10.0.0.7:8000"})
        assert probe.status_code == 200


def test_production_needs_a_public_url() -> None:
    with pytest.raises(ValueError, match="USINA_PUBLIC_URL is required in production"):
        Settings(environment="production")


async def test_a_municipality_at_its_budget_waits_alone(db: Database, world: World) -> None:
    """A's slots all taken (its flood, its expensive documents): A's next caller queues and
    is refused with Retry-After once the queue time passes; B's callers never wait for A."""
    async for app, http in app_client(
        db, max_concurrent_per_municipality=1, municipality_queue_seconds=0.3, response_cache="off"
    ):
        query = {"query": "{ municipality { slug } }"}
        async with app.state.bulkhead.slot(str(world.a.municipality.id)):
            b = await http.post("/graphql", json=query, headers={"X-Tenant": world.b.slug})
            assert b.json()["data"]["municipality"]["slug"] == world.b.slug
            a = await http.post("/graphql", json=query, headers={"X-Tenant": world.a.slug})
            assert a.status_code == 503
            assert a.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert a.headers["Retry-After"] == "1"
        again = await http.post("/graphql", json=query, headers={"X-Tenant": world.a.slug})
        assert again.json()["data"]["municipality"]["slug"] == world.a.slug
