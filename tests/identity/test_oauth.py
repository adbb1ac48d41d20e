"""The built-in authorization server: discovery, JWKS, and API clients' client-credentials
tokens, with scopes and revocation."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.identity.models import ApiClient
from core.identity.tokens import TokenService
from tenants.database import Database
from tests.factories import END, START, World, error_codes, gql

CREATE = """mutation($in: CreateApiClientInput!) {
  createApiClient(input: $in) { clientSecret apiClient { id clientId role scopes } }
}"""
REVOKE = "mutation($id: ID!) { revokeApiClient(input: {id: $id}) { apiClient { revokedAt } } }"
READ = "{ actionPlans(first: 10) { totalCount } viewer { subject clientId scopes role } }"
PLAN = (
    "mutation($in: CreateActionPlanInput!) { createActionPlan(input: $in) { actionPlan { id } } }"
)
PLAN_INPUT = {"in": {"title": "Desde la integración", "startDate": str(START), "endDate": str(END)}}


async def register(
    client: httpx.AsyncClient,
    tokens: TokenService,
    slug: str,
    role: str | None = None,
    scopes: tuple[str, ...] = ("read",),
) -> dict[str, Any]:
    admin = tokens.issue(subject="admin", role="tenant_admin", tenant=slug)
    result = await gql(
        client,
        CREATE,
        {"in": {"name": "Portal", "role": role, "scopes": list(scopes)}},
        token=admin,
    )
    assert error_codes(result) == [], result
    created = result["data"]["createApiClient"]
    return {
        "id": created["apiClient"]["id"],
        **created["apiClient"],
        "secret": created["clientSecret"],
    }


async def token_for(
    client: httpx.AsyncClient, client_id: str, secret: str, **form: str
) -> httpx.Response:
    return await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **form},
        auth=(client_id, secret),
    )


async def test_discovery_and_jwks(client: httpx.AsyncClient, tokens: TokenService) -> None:
    discovery = (await client.get("/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == tokens.issuer
    assert discovery["token_endpoint"] == tokens.issuer + "/oauth/token"
    assert discovery["grant_types_supported"] == ["client_credentials"]
    assert discovery["scopes_supported"] == ["read", "write"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert tokens.keyring.signing is not None
    assert tokens.keyring.signing.kid in {key["kid"] for key in jwks["keys"]}
    assert all("d" not in key for key in jwks["keys"])  # public halves only


async def test_a_portal_gets_a_token_and_reads(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    portal = await register(client, tokens, world.a.slug)
    assert portal["clientId"].startswith(world.a.slug + ".")
    response = await token_for(client, portal["clientId"], portal["secret"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["token_type"], body["scope"]) == ("Bearer", "read")
    read = await gql(client, READ, token=body["access_token"])
    assert error_codes(read) == []
    assert read["data"]["actionPlans"]["totalCount"] == 1  # published only: no role
    assert read["data"]["viewer"]["clientId"] == portal["clientId"]
    assert read["data"]["viewer"]["scopes"] == ["read"]
    async with db.session(world.a.binding) as session:
        row = (
            await session.execute(
                select(ApiClient).where(ApiClient.client_id == portal["clientId"])
            )
        ).scalar_one()
    assert row.secret_hash == hashlib.sha256(portal["secret"].encode()).hexdigest()


async def test_secret_in_the_form_works_too(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    portal = await register(client, tokens, world.a.slug)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": portal["clientId"],
            "client_secret": portal["secret"],
        },
    )
    assert response.status_code == 200, response.text


async def test_a_revoked_client_gets_no_token_and_its_tokens_stop_working(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    portal = await register(client, tokens, world.a.slug)
    issued = (await token_for(client, portal["clientId"], portal["secret"])).json()["access_token"]
    admin = tokens.issue(subject="admin", role="tenant_admin", tenant=world.a.slug)
    revoked = await gql(client, REVOKE, {"id": portal["id"]}, token=admin)
    assert revoked["data"]["revokeApiClient"]["apiClient"]["revokedAt"]

    refused = await token_for(client, portal["clientId"], portal["secret"])
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "invalid_client"
    read = await gql(client, READ, token=issued)
    assert error_codes(read) == ["UNAUTHENTICATED"]
    assert read["data"] is None


async def test_a_client_of_a_cannot_read_b(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    portal = await register(client, tokens, world.a.slug)
    token = (await token_for(client, portal["clientId"], portal["secret"])).json()["access_token"]
    result = await gql(client, READ, token=token, tenant=world.b.slug)
    assert result["data"] is None
    assert error_codes(result) == ["FORBIDDEN"]


async def test_scopes_narrow_the_clients_role(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    integration = await register(client, tokens, world.a.slug, "EDITOR", ("read", "write"))
    read_only = (
        await token_for(client, integration["clientId"], integration["secret"], scope="read")
    ).json()
    assert read_only["scope"] == "read"
    refused = await gql(client, PLAN, PLAN_INPUT, token=read_only["access_token"])
    assert error_codes(refused) == ["FORBIDDEN"]
    drafts = await gql(client, READ, token=read_only["access_token"])
    assert drafts["data"]["actionPlans"]["totalCount"] == 2  # an editor's read: drafts too

    both = (await token_for(client, integration["clientId"], integration["secret"])).json()
    assert both["scope"] == "read write"
    created = await gql(client, PLAN, PLAN_INPUT, token=both["access_token"])
    assert error_codes(created) == []


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, ("nobody.x", "nope"), 401, "invalid_client"),
        ({"grant_type": "password"}, None, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "admin"}, None, 400, "invalid_scope"),
    ],
)
async def test_token_endpoint_errors(
    client: httpx.AsyncClient,
    world: World,
    tokens: TokenService,
    form: dict[str, str],
    auth: tuple[str, str] | None,
    status: int,
    error: str,
) -> None:
    portal = await register(client, tokens, world.a.slug)
    response = await client.post(
        "/oauth/token", data=form, auth=auth or (portal["clientId"], portal["secret"])
    )
    assert (response.status_code, response.json()["error"]) == (status, error)


async def test_wrong_secret_is_invalid_client(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    portal = await register(client, tokens, world.a.slug)
    response = await token_for(client, portal["clientId"], "not-the-secret")
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


async def test_the_token_endpoint_wants_a_form(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_a_running_app_picks_up_a_key_rotation(db: Database, world: World) -> None:
    """``usina keys rotate`` in another process: the app verifies the new key's tokens without
    a restart, and keeps verifying the old key's."""
    from core.identity.tokens import rotate
    from core.settings import Settings
    from graphql_schema.app import create_app

    settings = Settings()
    app = create_app(settings, db=db)
    old_signer = TokenService.from_settings(settings)
    async with db.session(None) as session:
        await old_signer.refresh(session)
    old_token = old_signer.issue(subject="ana", role="editor", tenant=world.a.slug)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        assert error_codes(await gql(http, READ, token=old_token)) == []  # loads the keys
        async with db.session(None) as session:
            await rotate(session)
        new_signer = TokenService.from_settings(settings)
        async with db.session(None) as session:
            await new_signer.refresh(session)
        assert new_signer.keyring.signing is not None and old_signer.keyring.signing is not None
        assert new_signer.keyring.signing.kid != old_signer.keyring.signing.kid
        new_token = new_signer.issue(subject="ana", role="editor", tenant=world.a.slug)
        assert error_codes(await gql(http, READ, token=new_token)) == []
        assert error_codes(await gql(http, READ, token=old_token)) == []
        kids = {key["kid"] for key in (await http.get("/.well-known/jwks.json")).json()["keys"]}
        assert {new_signer.keyring.signing.kid, old_signer.keyring.signing.kid} <= kids
    await app.state.oidc.close()
