"""Municipalities' own identity providers: a real OpenID provider (npm ``oidc-provider``) on
loopback issues the tokens; the API validates them through discovery and JWKS.

Every refused token is ``UNAUTHENTICATED``, and the mutation it carried changed nothing (no
resolver ran).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from core.identity import service as identity
from core.identity.principal import SYSTEM
from core.settings import Settings
from graphql_schema.app import create_app
from tenants.database import Database
from tests.factories import END, START, World, build_world, error_codes, gql
from tests.graphql.test_bad_input import snapshot
from tests.identity.oidc import RESOURCE, OidcProvider, new_rsa_key

PEOPLE_A = {
    "ana": {"roles": ["staff"], "email": "ana@a.example"},
    "jefa": {"roles": ["staff", "admin"]},
    "vecino": {},
    "member": {"roles": ["staff"]},
    "invitee": {"roles": ["staff"], "email": "Invitee@A.example"},
    "unverified": {"email": "unverified@a.example", "email_verified": False},
    "editora": {"email": "editora@a.example"},
    "sinrol": {"roles": ["staff"], "email": "sinrol@a.example", "email_verified": False},
}
VIEWER = "{ viewer { subject issuer role municipality } }"
PLAN = (
    "mutation($in: CreateActionPlanInput!) { createActionPlan(input: $in) { actionPlan { id } } }"
)
PLAN_INPUT = {"in": {"title": "Plan desde SSO", "startDate": str(START), "endDate": str(END)}}


@pytest.fixture(scope="module")
def provider_a() -> Iterator[OidcProvider]:
    provider = OidcProvider(clients=PEOPLE_A).start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def provider_b() -> Iterator[OidcProvider]:
    provider = OidcProvider(clients={"bea": {"roles": ["staff"]}}).start()
    yield provider
    provider.stop()


async def trust(db: Database, world_tenant: Any, provider: OidcProvider) -> None:
    async with db.session(world_tenant.binding) as session:
        await identity.add_provider(
            session,
            SYSTEM,
            identity.ProviderData(
                name="SSO municipal",
                issuer=provider.issuer,
                audience=RESOURCE,
                role_mapping={"staff": "editor", "admin": "tenant_admin"},
            ),
        )


@pytest.fixture(scope="module")
async def sso_world(db: Database, provider_a: OidcProvider, provider_b: OidcProvider) -> World:
    """A trusts provider A; B trusts provider B."""
    world = await build_world(db)
    await trust(db, world.a, provider_a)
    await trust(db, world.b, provider_b)
    return world


async def test_a_token_of_the_municipalitys_provider_works(
    client: Any, sso_world: World, provider_a: OidcProvider
) -> None:
    token = provider_a.token("ana")
    viewer = await gql(client, VIEWER, token=token, tenant=sso_world.a.slug)
    assert viewer["data"]["viewer"] == {
        "subject": "ana",
        "issuer": provider_a.issuer,
        "role": "EDITOR",  # the provider's "staff" role, mapped
        "municipality": sso_world.a.slug,
    }
    created = await gql(client, PLAN, PLAN_INPUT, token=token, tenant=sso_world.a.slug)
    assert error_codes(created) == []


async def test_roles_come_from_membership_then_mapping_then_default(
    client: Any, db: Database, sso_world: World, provider_a: OidcProvider
) -> None:
    async with db.session(sso_world.a.binding) as session:
        await identity.set_membership(
            session, SYSTEM, issuer=provider_a.issuer, subject="member", role="reviewer"
        )
    roles = {}
    for person in ("member", "jefa", "vecino"):
        result = await gql(client, VIEWER, token=provider_a.token(person), tenant=sso_world.a.slug)
        roles[person] = result["data"]["viewer"]["role"]
    assert roles == {
        "member": "REVIEWER",  # the membership wins over the provider's "staff"
        "jefa": "TENANT_ADMIN",  # the highest mapped role
        "vecino": "PARTICIPANT",  # the provider's default role
    }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _sign(key: RSAKey, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": "ana", "iat": now, "exp": now + 300, "aud": RESOURCE} | claims
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}, payload, key)


def bad_tokens(provider_a: OidcProvider, provider_b: OidcProvider) -> dict[str, str]:
    real = provider_a.token("ana")
    header, payload, signature = real.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    key = provider_a.keys[0]
    stranger = new_rsa_key()
    return {
        # Signed with the provider's own key, so only the claim checks can refuse them.
        "expired": _sign(key, iss=provider_a.issuer, exp=int(time.time()) - 600),
        "wrong audience": _sign(key, iss=provider_a.issuer, aud="urn:another:api"),
        "wrong issuer": _sign(key, iss="http://127.0.0.1:9/not-trusted"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}.",
        "unknown kid": _sign(stranger, iss=provider_a.issuer),
        "tampered signature": f"{header}.{payload}.{signature[:-6]}AAAAAA",
        "tampered claims": f"{header}.{_b64(claims | {'sub': 'jefa'})}.{signature}",
        "another municipality's provider": provider_b.token("bea"),
    }


KINDS = [
    "expired",
    "wrong audience",
    "wrong issuer",
    "alg none",
    "unknown kid",
    "tampered signature",
    "tampered claims",
    "another municipality's provider",
]


@pytest.mark.parametrize("kind", KINDS)
async def test_bad_tokens_are_refused_before_any_resolver(
    client: Any,
    db: Database,
    sso_world: World,
    provider_a: OidcProvider,
    provider_b: OidcProvider,
    kind: str,
) -> None:
    token = bad_tokens(provider_a, provider_b)[kind]
    before = await snapshot(db, sso_world.a)
    result = await gql(client, PLAN, PLAN_INPUT, token=token, tenant=sso_world.a.slug)
    assert result["data"] is None
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert all("path" not in error for error in result["errors"])
    assert await snapshot(db, sso_world.a) == before


async def test_the_other_municipalitys_token_works_there(
    client: Any, sso_world: World, provider_b: OidcProvider
) -> None:
    result = await gql(client, VIEWER, token=provider_b.token("bea"), tenant=sso_world.b.slug)
    assert result["data"]["viewer"]["role"] == "EDITOR"


async def test_a_provider_token_must_name_its_municipality(
    client: Any, sso_world: World, provider_a: OidcProvider
) -> None:
    result = await gql(client, VIEWER, token=provider_a.token("ana"))
    assert error_codes(result) == ["UNAUTHENTICATED"]


async def test_unknown_key_ids_refetch_the_keys_at_most_once_per_interval(
    app: Any, client: Any, sso_world: World, provider_a: OidcProvider
) -> None:
    await gql(client, VIEWER, token=provider_a.token("ana"), tenant=sso_world.a.slug)
    fetches = app.state.oidc.fetches
    for _ in range(5):
        forged = _sign(new_rsa_key(), iss=provider_a.issuer)
        result = await gql(client, VIEWER, token=forged, tenant=sso_world.a.slug)
        assert error_codes(result) == ["UNAUTHENTICATED"]
    assert app.state.oidc.fetches - fetches <= 1


@pytest.fixture
async def rotating(db: Database) -> AsyncIterator[tuple[OidcProvider, World, httpx.AsyncClient]]:
    """A provider of its own (its keys will rotate) and an app that refetches at once."""
    provider = OidcProvider(clients=PEOPLE_A).start()
    world = await build_world(db)
    await trust(db, world.a, provider)
    app = create_app(
        Settings(oidc_unknown_kid_interval_seconds=0, egress_allow=["127.0.0.0/8"]), db=db
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield provider, world, http
    finally:
        await app.state.oidc.close()
        provider.stop()


async def test_key_rotation_at_the_provider_is_picked_up_without_restart(
    rotating: tuple[OidcProvider, World, httpx.AsyncClient],
) -> None:
    provider, world, http = rotating
    old_key = provider.keys[0]
    before = await gql(http, VIEWER, token=provider.token("ana"), tenant=world.a.slug)
    assert before["data"]["viewer"]["subject"] == "ana"

    new_key = new_rsa_key()
    provider.restart_with([new_key, old_key])  # the provider now signs with the new key
    token = provider.token("ana")
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"] == new_key.kid
    after = await gql(http, VIEWER, token=token, tenant=world.a.slug)
    assert error_codes(after) == []
    assert after["data"]["viewer"]["subject"] == "ana"


async def test_an_invitation_by_e_mail_is_claimed_at_the_first_sign_in(
    client: Any, db: Database, sso_world: World, provider_a: OidcProvider, tokens: Any
) -> None:
    """A tenant admin invites by e-mail (no subject yet); the provider's verified e-mail claim
    at the person's first sign-in claims it. An unverified e-mail claims nothing."""
    admin = tokens.issue(subject="adm", role="tenant_admin", tenant=sso_world.a.slug)
    invite = (
        "mutation($i: String!, $e: String!) { setMembership(input: {issuer: $i, email: $e, "
        "role: REVIEWER}) { membership { role person { subject email } } } }"
    )
    for email in ("invitee@a.example", "unverified@a.example"):
        made = await gql(client, invite, {"i": provider_a.issuer, "e": email}, token=admin)
        assert made["data"]["setMembership"]["membership"]["person"] == {
            "subject": None,
            "email": email,
        }
    invitee = await gql(client, VIEWER, token=provider_a.token("invitee"), tenant=sso_world.a.slug)
    assert invitee["data"]["viewer"]["role"] == "REVIEWER"  # the invitation, not the mapping
    unverified = await gql(
        client, VIEWER, token=provider_a.token("unverified"), tenant=sso_world.a.slug
    )
    assert unverified["data"]["viewer"]["role"] == "PARTICIPANT"  # the provider's default
    members = await gql(
        client,
        "{ memberships(first: 50) { nodes { role person { subject email } } } }",
        token=admin,
    )
    people = {
        ((m["person"]["email"] or "").lower(), m["person"]["subject"])
        for m in members["data"]["memberships"]["nodes"]
    }
    assert ("invitee@a.example", "invitee") in people
    assert ("unverified@a.example", None) in people


async def test_a_membership_needs_a_subject_or_an_e_mail(
    client: Any, sso_world: World, provider_a: OidcProvider, tokens: Any
) -> None:
    admin = tokens.issue(subject="adm", role="tenant_admin", tenant=sso_world.a.slug)
    result = await gql(
        client,
        "mutation($i: String!) { setMembership(input: {issuer: $i, role: EDITOR}) "
        "{ membership { id } } }",
        {"i": provider_a.issuer},
        token=admin,
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["extensions"]["field"] == "subject"


async def test_staff_reminders_reach_addresses_from_the_providers_claims(
    client: Any, db: Database, sso_world: World, provider_a: OidcProvider
) -> None:
    """A member invited by subject alone, and an editor by the provider's role mapping (no
    membership), both get their address from the provider's e-mail claim at sign-in, and
    monitoring writes to both; an unverified address gets nothing."""
    from core.identity.roles import Role
    from core.notifications import service as notifications

    a = sso_world.a
    async with db.session(a.binding) as session:
        await identity.set_membership(
            session, SYSTEM, issuer=provider_a.issuer, subject="editora", role="editor"
        )
    for person in ("editora", "ana", "sinrol", "jefa"):
        result = await gql(client, VIEWER, token=provider_a.token(person), tenant=a.slug)
        assert error_codes(result) == [], result
    async with db.session(a.binding) as session:
        editors = await notifications.member_emails(session, [Role.EDITOR])
        admins = await notifications.member_emails(session, [Role.TENANT_ADMIN])
    # (The factories' own members, shared by every world of the database, come too.)
    assert {"ana@a.example", "editora@a.example"} <= set(editors)
    assert "sinrol@a.example" not in editors  # an address the provider did not verify
    assert not any(email.endswith("@a.example") for email in admins)  # jefa has none
