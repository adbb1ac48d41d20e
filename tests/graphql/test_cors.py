"""CORS per municipality (``graphql_schema/cors.py``): a portal on the municipality's own
origin may call the API from a browser; another origin, or another municipality's portal, gets
no CORS header; preflights cost no query. (The browser itself is in tests/node/portal.)"""

from __future__ import annotations

from typing import Any

import httpx

from core.identity.tokens import TokenService
from graphql_schema.app import create_app
from tests.factories import World, error_codes, gql

SET = "mutation($o: [String!]!) { setPortalOrigins(input: {origins: $o}) { municipality { portalOrigins } } }"
PORTAL_A = "https://gobiernoabierto.a.example"


async def allow(
    client: Any, tokens: TokenService, world: World, origins: list[str]
) -> dict[str, Any]:
    admin = tokens.issue(subject="adm", role="tenant_admin", tenant=world.a.slug)
    return await gql(client, SET, {"o": origins}, token=admin)


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def preflight(client: Any, origin: str, **extra: str) -> Any:
    return client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-tenant",
            **extra,
        },
    )


async def test_a_municipalitys_portal_may_call_it_from_a_browser(
    client: Any, world: World, tokens: TokenService
) -> None:
    result = await allow(client, tokens, world, [PORTAL_A.upper() + "/", PORTAL_A])
    assert result["data"] == {"setPortalOrigins": {"municipality": {"portalOrigins": [PORTAL_A]}}}

    answer = await preflight(client, PORTAL_A)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == PORTAL_A
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-tenant", "authorization"} <= allowed
    assert "Origin" in answer.headers["vary"]

    read = await client.post(
        "/graphql",
        json={"query": "{ municipality { name } }"},
        headers={"Origin": PORTAL_A, "X-Tenant": world.a.slug},
    )
    assert read.json()["data"] == {"municipality": {"name": world.a.municipality.name}}
    assert read.headers["access-control-allow-origin"] == PORTAL_A
    assert "ETag" in read.headers["access-control-expose-headers"]
    assert "Origin" in read.headers["vary"]
    assert "*" not in read.headers["access-control-allow-origin"]
    assert "access-control-allow-credentials" not in read.headers


async def test_other_origins_and_other_municipalities_get_no_cors_header(
    client: Any, world: World, tokens: TokenService
) -> None:
    await allow(client, tokens, world, [PORTAL_A])
    stranger = await preflight(client, "https://evil.example")
    assert stranger.status_code == 400 and cors_headers(stranger) == {}
    for origin, tenant in (("https://evil.example", world.a.slug), (PORTAL_A, world.b.slug)):
        read = await client.post(
            "/graphql",
            json={"query": "{ municipality { name } }"},
            headers={"Origin": origin, "X-Tenant": tenant},
        )
        assert read.status_code == 200  # the server answers; the browser will not let it be read
        assert cors_headers(read) == {}
        assert "Origin" in read.headers["vary"]


async def test_a_refusal_is_readable_by_an_allowed_portal(
    client: Any, world: World, tokens: TokenService
) -> None:
    await allow(client, tokens, world, [PORTAL_A])
    refused = await client.post(
        "/graphql",
        json={"query": "{ municipality { name } }"},
        headers={"Origin": PORTAL_A, "X-Tenant": world.a.slug, "Authorization": "Bearer bad"},
    )
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == PORTAL_A


async def test_bad_origins_are_refused_and_change_nothing(
    client: Any, world: World, tokens: TokenService
) -> None:
    await allow(client, tokens, world, [PORTAL_A])
    for bad in (
        "*",
        "https://a.example/portal",
        "ftp://a.example",
        "a.example",
        "https://*.a.example",
    ):
        result = await allow(client, tokens, world, [bad])
        assert error_codes(result) == ["BAD_USER_INPUT"], bad
        assert result["errors"][0]["extensions"]["field"] == "origins"
    read = await gql(client, "{ municipality { portalOrigins } }", tenant=world.a.slug)
    assert read["data"] == {"municipality": {"portalOrigins": [PORTAL_A]}}


async def test_preflights_cost_no_query(
    client: Any, world: World, tokens: TokenService, count_statements: Any
) -> None:
    await allow(client, tokens, world, [PORTAL_A])
    await preflight(client, PORTAL_A)  # the first one after a change reloads the origins
    count_statements.statements.clear()
    for _ in range(3):
        assert (await preflight(client, PORTAL_A)).status_code == 200
    assert count_statements.statements == []


async def test_the_platform_may_allow_an_origin_for_every_municipality(
    db: Any, settings: Any, world: World
) -> None:
    console = "https://console.consultora.example"
    app = create_app(settings.model_copy(update={"cors_origins": [console]}), db=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        for tenant in (world.a.slug, world.b.slug):
            read = await http.post(
                "/graphql",
                json={"query": "{ municipality { name } }"},
                headers={"Origin": console, "X-Tenant": tenant},
            )
            assert read.headers["access-control-allow-origin"] == console
    await app.state.oidc.close()
