"""Which municipality a request is bound to: header, host and token must agree."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.errors import BadUserInput, Forbidden
from core.identity.principal import ANONYMOUS, Principal
from core.identity.roles import Role
from core.identity.tokens import TokenService
from core.plans import service as plans
from tenants.access import requested_slug, slug_from_host
from tenants.context import TenantBinding
from tenants.database import Database
from tests.factories import (
    END,
    GRANTED_CONSULTANT,
    START,
    SYSTEM,
    World,
    error_codes,
    gql,
    new_municipality,
)


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


LISTING = """query($after: String) { municipalities(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { slug actionPlans(first: 5) { nodes { title commitments(first: 5) {
    nodes { title milestones(first: 5) { nodes { title } } } } } } } } }"""


async def listing(client: Any, token: str, tenant: str | None) -> list[tuple[dict, list]]:
    """Every page of the listing (the database holds other tests' municipalities too): each
    page's nodes and errors."""
    pages, after = [], None
    while True:
        result = await gql(client, LISTING, {"after": after}, token=token, tenant=tenant)
        page = result["data"]["municipalities"]
        pages.append((page, result.get("errors") or []))
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


async def bind_events(db: Database, tenant: Any, subject: str) -> int:
    async with db.session(tenant.binding) as session:
        found = await session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "platform.bind", AuditEvent.actor_subject == subject)
        )
        return int(found.scalar_one())


async def test_staff_read_each_municipalitys_plans_bound_to_it_and_never_silently_empty(
    client: Any, db: Database, world: World, tokens: TokenService
) -> None:
    """Issue 17, point 1: a platform admin (bound to A) and a consultant granted A and B list
    municipalities with their plans. Each municipality's plans, commitments and milestones come
    back as that municipality's (read bound to it: its drafts too, for the staff); for the
    consultant, a municipality not granted answers FORBIDDEN, never an empty list; and each
    crossing is in that municipality's audit trail."""
    elsewhere = await new_municipality(db, "ajena")
    async with db.session(TenantBinding(elsewhere.id, elsewhere.slug, sees_drafts=True)) as s:
        await plans.create(
            s, SYSTEM, plans.PlanData(title="Plan ajeno", start_date=START, end_date=END)
        )
    expected = {t.slug: {f"Plan {p}", f"Borrador {p}"} for t, p in ((world.a, "a"), (world.b, "b"))}
    root = tokens.issue(subject="root", role="platform_admin", tenant=None)
    consultant = tokens.issue(subject=GRANTED_CONSULTANT, role="consultant", tenant=None)
    before = {who: await bind_events(db, world.b, who) for who in ("root", GRANTED_CONSULTANT)}
    for token, bound, who in ((root, world.a.slug, "root"), (consultant, None, GRANTED_CONSULTANT)):
        seen: dict[str, Any] = {}
        refused_codes: dict[str, str] = {}
        for page, errors in await listing(client, token, bound):
            refused = {page["nodes"][e["path"][2]]["slug"]: e for e in errors}
            refused_codes |= {slug: e["extensions"]["code"] for slug, e in refused.items()}
            for node in page["nodes"]:
                seen[node["slug"]] = node["actionPlans"]
                if node["actionPlans"] is None:  # other tests' municipalities: some suspended
                    code = refused[node["slug"]]["extensions"]["code"]
                    assert code in ("FORBIDDEN", "TENANT_SUSPENDED"), errors
            if who == "root":
                assert errors == []  # a platform admin may act anywhere
        for slug, titles in expected.items():
            plans_seen = seen[slug]["nodes"]
            assert {p["title"] for p in plans_seen} == titles, (who, slug)
            published = next(p for p in plans_seen if not p["title"].startswith("Borrador"))
            (commitment,) = published["commitments"]["nodes"]
            assert commitment["title"] == f"Compromiso {slug.split('-')[0]}"
            assert [m["title"] for m in commitment["milestones"]["nodes"]] == ["Hito"]
        if who == "root":
            assert {p["title"] for p in seen[elsewhere.slug]["nodes"]} == {"Plan ajeno"}
        else:
            assert seen[elsewhere.slug] is None  # refused: not granted
            assert refused_codes[elsewhere.slug] == "FORBIDDEN"
    # Each crossing into B left its trace in B (A is the admin's own binding: one event too).
    after = {who: await bind_events(db, world.b, who) for who in ("root", GRANTED_CONSULTANT)}
    assert after["root"] == before["root"] + 1
    assert after[GRANTED_CONSULTANT] == before[GRANTED_CONSULTANT] + 1


async def test_municipal_roles_may_not_list_municipalities(
    client: Any, world: World, tokens: TokenService
) -> None:
    for role in ("tenant_admin", "editor"):
        token = tokens.issue(subject=f"{role}-a", role=role, tenant=world.a.slug)
        result = await gql(client, LISTING, {"after": None}, token=token)
        assert error_codes(result) == ["FORBIDDEN"]
