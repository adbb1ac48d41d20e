"""Which municipality a request is bound to: header, host and token must agree."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import BadUserInput, Forbidden
from core.identity.principal import ANONYMOUS, Principal
from core.identity.roles import Role
from core.identity.tokens import TokenService
from tenants.access import requested_slug, slug_from_host
from tests.factories import World, error_codes, gql


@pytest.mark.parametrize(
    ("host", "base", "slug"),
    [
        ("demo.localhost:8000", "localhost", "demo"),
        ("demo.localhost", "localhost", "demo"),
        ("Rosario.Usina.Example", "usina.example", "rosario"),
        ("usina.example", "usina.example", None),
        ("a.b.usina.example", "usina.example", None),
        ("127.0.0.1:8000", "localhost", None),
        ("evilusina.example", "usina.example", None),
        (None, "localhost", None),
    ],
)
def test_slug_from_host(host: str | None, base: str, slug: str | None) -> None:
    assert slug_from_host(host, base) == slug


EDITOR_A = Principal(subject="e", role=Role.EDITOR, tenant="a")
ADMIN = Principal(subject="r", role=Role.PLATFORM_ADMIN)


@pytest.mark.parametrize(
    ("principal", "header", "host", "expected"),
    [
        (ANONYMOUS, "a", None, "a"),
        (ANONYMOUS, None, "a", "a"),
        (ANONYMOUS, "a", "a", "a"),
        (ANONYMOUS, None, None, None),
        (EDITOR_A, None, None, "a"),  # the token names it
        (EDITOR_A, "a", "a", "a"),
        (ADMIN, None, None, None),  # platform scope
        (ADMIN, "b", None, "b"),
        (ANONYMOUS, "a", "b", BadUserInput),
        (EDITOR_A, "b", None, Forbidden),
        (EDITOR_A, None, "b", Forbidden),
    ],
)
def test_requested_slug(
    principal: Principal, header: str | None, host: str | None, expected: Any
) -> None:
    if isinstance(expected, type):
        with pytest.raises(expected):
            requested_slug(principal, header, host)
    else:
        assert requested_slug(principal, header, host) == expected


async def test_host_name_binds_the_request(client: Any, world: World) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ municipality { slug } }"},
        headers={"Host": f"{world.a.slug}.localhost"},
    )
    assert response.json()["data"] == {"municipality": {"slug": world.a.slug}}


async def test_header_and_host_must_agree(client: Any, world: World) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ municipality { slug } }"},
        headers={"Host": f"{world.a.slug}.localhost", "X-Tenant": world.b.slug},
    )
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_no_municipality_named(client: Any) -> None:
    result = await gql(client, "{ municipality { slug } }")
    assert error_codes(result) == ["TENANT_REQUIRED"]


async def test_platform_admin_lists_municipalities_without_binding(
    client: Any, world: World, tokens: TokenService
) -> None:
    admin = tokens.issue(subject="root", role="platform_admin", tenant=None)
    slugs: set[str] = set()
    after = None
    while True:  # walk every page: cursors work on the root list too
        result = await gql(
            client,
            "query($after: String) { municipalities(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { slug } } }",
            {"after": after},
            token=admin,
        )
        page = result["data"]["municipalities"]
        slugs |= {n["slug"] for n in page["nodes"]}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert {world.a.slug, world.b.slug} <= slugs
    assert len(slugs) == page["totalCount"]


async def test_other_municipalities_plans_are_refused_never_silently_empty(
    client: Any, world: World, tokens: TokenService
) -> None:
    """A platform admin bound to A lists municipalities with their plans: A's come back; every
    other municipality's answer TENANT_REQUIRED for its plans (read bound to it), and no node
    carries an empty list that would pass for "no plans" (issue 17, point 1)."""
    admin = tokens.issue(subject="root", role="platform_admin", tenant=None)
    seen_a, after = False, None
    while True:  # every page: the database holds other tests' municipalities too
        result = await gql(
            client,
            "query($after: String) { municipalities(first: 100, after: $after) { nodes { slug "
            "actionPlans(first: 5) { nodes { title } } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
            token=admin,
            tenant=world.a.slug,
        )
        page = result["data"]["municipalities"]
        refused = [
            e for e in result.get("errors") or [] if e["extensions"]["code"] == "TENANT_REQUIRED"
        ]
        others = [n for n in page["nodes"] if n["slug"] != world.a.slug]
        assert len(refused) == len(others) == len(result.get("errors") or [])
        assert all(n["actionPlans"] is None for n in others)
        for error in refused:
            slug = page["nodes"][error["path"][2]]["slug"]
            assert f"X-Tenant: {slug}" in error["message"]
        for node in page["nodes"]:
            if node["slug"] == world.a.slug:
                seen_a = True
                titles = {n["title"] for n in node["actionPlans"]["nodes"]}
                assert titles == {"Plan a", "Borrador a"}  # a platform admin sees drafts
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen_a
