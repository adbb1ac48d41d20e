"""HTTP surface: GraphiQL for newcomers, GET queries, no mutations over GET, JWKS, health."""

from __future__ import annotations

from typing import Any

from tests.factories import World


async def test_graphiql_opens_on_the_portal_query_for_the_demo_municipality(client: Any) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "Usina GraphiQL" in response.text
    assert "query Portal" in response.text
    assert '\\"X-Tenant\\": \\"demo\\"' in response.text


async def test_query_over_get(client: Any, world: World) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "{ municipality { slug } }"},
        headers={"X-Tenant": world.a.slug},
    )
    assert response.json()["data"] == {"municipality": {"slug": world.a.slug}}


async def test_no_mutation_over_get(client: Any, world: World, tokens: Any) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    response = await client.get(
        "/graphql",
        params={
            "query": 'mutation { createActor(input: {kind: ACADEMIA, name: "via GET"}) { actor { id } } }'
        },
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert response.status_code in (400, 405)
    actors = await client.post(
        "/graphql",
        json={"query": "{ actors(first: 100) { nodes { name } } }"},
        headers={"X-Tenant": world.a.slug},
    )
    assert "via GET" not in response.text + actors.text


async def test_jwks_publishes_the_public_key_only(client: Any) -> None:
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "EC" and "d" not in keys[0]


async def test_healthz(client: Any) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
