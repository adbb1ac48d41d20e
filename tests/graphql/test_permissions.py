"""What each role sees: drafts, unvalidated assessments, published plans, the viewer.

The full role x operation matrix is ``test_authorization_matrix.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.identity.tokens import TokenService
from tests.factories import World, error_codes, gql

ROLES = ["anonymous", "participant", "reviewer", "editor", "tenant_admin", "platform_admin"]
STAFF = {"editor", "tenant_admin", "platform_admin"}


def call_as(role: str, tokens: TokenService, slug: str) -> dict[str, Any]:
    if role == "anonymous":
        return {"tenant": slug}
    if role == "platform_admin":
        return {"token": tokens.issue(subject="root", role=role, tenant=None), "tenant": slug}
    return {"token": tokens.issue(subject=f"{role}-a", role=role, tenant=slug)}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["DraftAssessment", "SubmittedAssessment"])
async def test_unvalidated_assessments_are_seen_by_editors_and_above_only(
    client: Any, world: World, tokens: TokenService, kind: str, role: str
) -> None:
    who = call_as(role, tokens, world.a.slug)
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": world.a.gid(kind)}, **who
    )
    listed = await gql(
        client, "{ assessments { totalCount nodes { status answers { answer { code } } } } }", **who
    )
    if role in STAFF:
        assert node["data"]["node"]["id"] == world.a.gid(kind)
        assert listed["data"]["assessments"]["totalCount"] == 3
    else:
        assert error_codes(node) == ["NOT_FOUND"]
        assert [a["status"] for a in listed["data"]["assessments"]["nodes"]] == ["VALIDATED"]
        assert listed["data"]["assessments"]["nodes"][0]["answers"]  # the public reads its answers


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["DraftActionPlan", "DraftCommitment"])
async def test_drafts_are_seen_by_editors_and_above_only(
    client: Any, world: World, tokens: TokenService, kind: str, role: str
) -> None:
    who = call_as(role, tokens, world.a.slug)
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": world.a.gid(kind)}, **who
    )
    listed = await gql(
        client, "{ actionPlans(first: 10) { totalCount nodes { id status } } }", **who
    )
    plan_ids = {p["id"] for p in listed["data"]["actionPlans"]["nodes"]}
    if role in STAFF:
        assert node["data"]["node"]["id"] == world.a.gid(kind)
        assert world.a.gid("DraftActionPlan") in plan_ids
        assert listed["data"]["actionPlans"]["totalCount"] == 2
    else:
        assert error_codes(node) == ["NOT_FOUND"]
        assert plan_ids == {world.a.gid("ActionPlan")}
        assert listed["data"]["actionPlans"]["totalCount"] == 1


@pytest.mark.parametrize("role", ROLES)
async def test_everyone_reads_published_plans(
    client: Any, world: World, tokens: TokenService, role: str
) -> None:
    result = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on ActionPlan { title status } } }",
        {"id": world.a.gid("ActionPlan")},
        **call_as(role, tokens, world.a.slug),
    )
    assert result["data"]["node"] == {"title": "Plan a", "status": "PUBLISHED"}


async def test_viewer(client: Any, world: World, tokens: TokenService) -> None:
    anonymous = await gql(client, "{ viewer { subject } }", tenant=world.a.slug)
    assert anonymous["data"] == {"viewer": None}
    editor = await gql(
        client,
        "{ viewer { subject role municipality permissions } }",
        **call_as("editor", tokens, world.a.slug),
    )
    assert editor["data"]["viewer"] == {
        "subject": "editor-a",
        "role": "EDITOR",
        "municipality": world.a.slug,
        "permissions": [
            "edit_actors",
            "edit_plans",
            "introspect",
            "moderate",
            "participate",
            "read_drafts",
            "report_progress",
            "run_assessments",
            "run_jobs",
        ],
    }


async def test_a_consultant_sees_the_municipalities_granted_to_them(
    client: Any, world: World, tokens: TokenService
) -> None:
    from tests.factories import GRANTED_CONSULTANT

    query = "{ viewer { role grantedMunicipalities } }"
    granted = tokens.issue(subject=GRANTED_CONSULTANT, role="consultant", tenant=None)
    mine = (await gql(client, query, token=granted))["data"]["viewer"]
    assert mine["role"] == "CONSULTANT"
    assert {world.a.slug, world.b.slug} <= set(mine["grantedMunicipalities"])
    nobody = tokens.issue(subject="consultant-of-none", role="consultant", tenant=None)
    assert (await gql(client, query, token=nobody))["data"]["viewer"]["grantedMunicipalities"] == []
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    assert (await gql(client, query, token=editor))["data"]["viewer"]["grantedMunicipalities"] == []


REPORT_AUTHORS = "{ actionPlans(first: 5) { nodes { commitments(first: 5) { nodes { milestones(first: 5) { nodes { reports(first: 5) { nodes { authorSubject } } } } } } } } }"


async def test_a_reports_author_account_is_for_the_staff_only(
    client: Any, world: World, tokens: TokenService
) -> None:
    """Issue 33: a staff account's subject (often an e-mail address) is never public."""

    def authors(result: dict[str, Any]) -> list[Any]:
        return [
            r["authorSubject"]
            for p in result["data"]["actionPlans"]["nodes"]
            for c in p["commitments"]["nodes"]
            for m in c["milestones"]["nodes"]
            for r in m["reports"]["nodes"]
        ]

    public = await gql(client, REPORT_AUTHORS, tenant=world.a.slug)
    assert authors(public) and set(authors(public)) == {None}
    participant = tokens.issue(subject="p", role="participant", tenant=world.a.slug)
    assert set(authors(await gql(client, REPORT_AUTHORS, token=participant))) == {None}
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    assert None not in authors(await gql(client, REPORT_AUTHORS, token=editor))


UPDATE_MUNICIPALITY = "mutation($in: UpdateMunicipalityInput!) { updateMunicipality(input: $in) { municipality { name locale timezone website } } }"


async def test_a_municipality_is_edited_after_its_creation_and_bad_values_change_nothing(
    client: Any, world: World, tokens: TokenService
) -> None:
    """Issue 33: name, website, language and time zone, by its tenant admin, audited."""
    admin = tokens.issue(subject="admin-a", role="tenant_admin", tenant=world.a.slug)
    changes = {
        "name": "Municipio de Río Claro",
        "locale": "PT",
        "timezone": "America/Sao_Paulo",
        "website": "https://rioclaro.example",
    }
    done = await gql(client, UPDATE_MUNICIPALITY, {"in": changes}, token=admin)
    assert done["data"]["updateMunicipality"]["municipality"] == {
        "name": "Municipio de Río Claro",
        "locale": "PT",
        "timezone": "America/Sao_Paulo",
        "website": "https://rioclaro.example",
    }
    # Read back anonymously: the directory and the caches see the change at once.
    read = await gql(client, "{ municipality { name locale } }", tenant=world.a.slug)
    assert read["data"]["municipality"] == {"name": "Municipio de Río Claro", "locale": "PT"}
    for bad, field in (({"timezone": "Mars/Olympus"}, "timezone"), ({"name": "  "}, "name")):
        refused = await gql(client, UPDATE_MUNICIPALITY, {"in": bad}, token=admin)
        assert error_codes(refused) == ["BAD_USER_INPUT"], refused
        assert refused["errors"][0]["extensions"]["field"] == field
    again = await gql(client, "{ municipality { name timezone } }", tenant=world.a.slug)
    assert again["data"]["municipality"] == {
        "name": "Municipio de Río Claro",
        "timezone": "America/Sao_Paulo",
    }
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    forbidden = await gql(client, UPDATE_MUNICIPALITY, {"in": {"name": "X"}}, token=editor)
    assert error_codes(forbidden) == ["FORBIDDEN"]
