"""Cacheable anonymous reads (``graphql_schema/caching.py``): ETag from the municipality's
data version, 304 without execution, a response cache that a committed write moves past, and
nothing cached for signed-in callers, mutations or another municipality. (Across two live
processes sharing Redis: tests/graphql/test_portal_clients.py.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from core.identity.tokens import TokenService
from tests.factories import World, error_codes, gql
from tests.graphql.test_audit import MUTATIONS

PLANS = "{ municipality { name actionPlans { totalCount nodes { title } } } }"
CREATE_ACTOR = (
    'mutation { createActor(input: {kind: ACADEMIA, name: "Universidad"}) { actor { id } } }'
)
ACTORS = "{ actors { totalCount } }"


def url(query: str) -> str:
    return "/graphql?" + urlencode({"query": query})


def only_the_municipality_lookup(statements: list[str]) -> bool:
    for statement in statements:
        lowered = statement.lower()
        if lowered.startswith("set local "):  # the transaction's binding
            continue
        if not (lowered.startswith("select") and "from municipalities" in lowered):
            return False
    return True


async def test_an_anonymous_read_has_an_etag_and_cache_headers(client: Any, world: World) -> None:
    first = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    again = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    assert first.status_code == again.status_code == 200
    assert first.headers["etag"] == again.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert "stale-while-revalidate=" in first.headers["cache-control"]
    assert {"Accept-Language", "Authorization", "X-Tenant"} <= {
        v.strip() for v in first.headers["vary"].split(",")
    }
    assert again.json() == first.json()


async def test_if_none_match_answers_304_without_executing(
    client: Any, world: World, count_statements: Any
) -> None:
    first = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    count_statements.statements.clear()
    answer = await client.get(
        url(PLANS), headers={"X-Tenant": world.a.slug, "If-None-Match": first.headers["etag"]}
    )
    assert answer.status_code == 304 and answer.content == b""
    assert answer.headers["etag"] == first.headers["etag"]
    assert only_the_municipality_lookup(count_statements.statements)


async def test_a_cache_hit_is_served_without_executing(
    client: Any, world: World, count_statements: Any
) -> None:
    first = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    count_statements.statements.clear()
    hit = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    assert hit.json() == first.json()
    assert only_the_municipality_lookup(count_statements.statements)


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_committed_write_changes_the_answer_and_its_etag(
    client: Any, world: World, tokens: TokenService, method: str
) -> None:
    async def read() -> Any:
        if method == "GET":
            return await client.get(url(ACTORS), headers={"X-Tenant": world.a.slug})
        return await client.post(
            "/graphql", json={"query": ACTORS}, headers={"X-Tenant": world.a.slug}
        )

    before = await read()
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    assert error_codes(await gql(client, CREATE_ACTOR, token=editor)) == []
    after = await read()
    assert after.headers["etag"] != before.headers["etag"]
    count = before.json()["data"]["actors"]["totalCount"]
    assert after.json()["data"]["actors"]["totalCount"] == count + 1
    stale = await client.get(
        url(ACTORS), headers={"X-Tenant": world.a.slug, "If-None-Match": before.headers["etag"]}
    )
    assert stale.status_code == 200


async def test_a_failed_write_keeps_the_etag(
    client: Any, world: World, tokens: TokenService
) -> None:
    before = await client.get(url(ACTORS), headers={"X-Tenant": world.a.slug})
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    bad = 'mutation { createActor(input: {kind: ACADEMIA, name: ""}) { actor { id } } }'
    assert error_codes(await gql(client, bad, token=editor)) == ["BAD_USER_INPUT"]
    after = await client.get(url(ACTORS), headers={"X-Tenant": world.a.slug})
    assert after.headers["etag"] == before.headers["etag"]


async def test_signed_in_callers_and_mutations_are_never_cached(
    client: Any, world: World, tokens: TokenService
) -> None:
    public = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    editor = tokens.issue(subject="ed", role="editor", tenant=world.a.slug)
    staff = await client.get(url(PLANS), headers={"Authorization": f"Bearer {editor}"})
    assert staff.headers["cache-control"] == "private, no-store" and "etag" not in staff.headers
    # The editor sees the draft plan the public does not: not the cached public answer.
    public_count = public.json()["data"]["municipality"]["actionPlans"]["totalCount"]
    assert staff.json()["data"]["municipality"]["actionPlans"]["totalCount"] == public_count + 1
    mutation = await client.post(
        "/graphql", json={"query": CREATE_ACTOR}, headers={"Authorization": f"Bearer {editor}"}
    )
    assert mutation.headers["cache-control"] == "private, no-store"


async def test_another_municipality_never_gets_a_cached_body(client: Any, world: World) -> None:
    in_a = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    in_b = await client.get(url(PLANS), headers={"X-Tenant": world.b.slug})
    assert in_a.json()["data"]["municipality"]["name"] == world.a.municipality.name
    assert in_b.json()["data"]["municipality"]["name"] == world.b.municipality.name
    assert in_a.headers["etag"] != in_b.headers["etag"]
    cross = await client.get(
        url(PLANS), headers={"X-Tenant": world.b.slug, "If-None-Match": in_a.headers["etag"]}
    )
    assert cross.status_code == 200


async def test_the_language_is_part_of_the_key(client: Any, world: World) -> None:
    es = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug, "Accept-Language": "es"})
    en = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug, "Accept-Language": "en"})
    assert es.headers["etag"] != en.headers["etag"]


async def test_head_answers_like_get_without_a_body(client: Any, world: World) -> None:
    get = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    head = await client.head(url(PLANS), headers={"X-Tenant": world.a.slug})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


async def test_answers_with_errors_are_not_stored(client: Any, world: World) -> None:
    missing = '{ node(id: "QWN0b3I6MDE5YTAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw") { id } }'
    answer = await client.get(url(missing), headers={"X-Tenant": world.a.slug})
    assert answer.headers["cache-control"] == "private, no-store"


#: Mutations that change no content a reader sees (only bookkeeping: jobs, another
#: municipality, trusted documents, a participant's notification preferences): the data
#: version, and so every cached answer, stays.
KEEPS_THE_VERSION = {
    "createMunicipality",
    "exportActionPlan",
    "importActionPlan",
    "recomputeScores",
    "registerPersistedDocuments",
    "retryJob",
    "runMonitoring",
    "setNotificationPreferences",
    "uploadEvidence",
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
async def test_after_every_mutation_the_next_anonymous_read_is_current(
    client: Any, db: Any, world: World, tokens: TokenService, mutation: str
) -> None:
    """Each mutation of the audit meta-test's list: a change moves the municipality's data
    version, so the next anonymous read has a new ETag and is executed, not served stale."""
    from core.municipalities.models import Municipality

    async def version() -> int:
        async with db.session(None) as session:
            row = await session.get(Municipality, world.a.municipality.id)
            assert row is not None
            return row.data_version

    document, variables, role, _ = MUTATIONS[mutation]
    token = tokens.issue(
        subject=f"{role}-1", role=role, tenant=None if role == "platform_admin" else world.a.slug
    )
    unbound = {"createMunicipality", "setMunicipalityStatus"}
    bind = {"tenant": world.a.slug} if role == "platform_admin" and mutation not in unbound else {}
    before_read = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    before = await version()
    result = await gql(client, document, variables(world.a), token=token, **bind)
    assert "errors" not in result, result
    after = await version()
    if mutation in KEEPS_THE_VERSION:
        assert after == before
        return
    assert after > before
    if mutation == "setMunicipalityStatus":
        return  # suspended: the public can no longer read it at all
    after_read = await client.get(url(PLANS), headers={"X-Tenant": world.a.slug})
    assert after_read.headers["etag"] != before_read.headers["etag"]


async def test_an_answer_built_for_another_host_is_never_served(client: Any, world: World) -> None:
    """With no public URL configured, links are built from the request's host: an anonymous
    request with a forged Host is answered (and cached) on its own, never to the next normal
    reader."""
    headers = {"X-Tenant": world.a.slug}
    forged = await client.get(url(PLANS), headers={**headers, "Host": "evil.example:666"})
    assert forged.headers["X-Usina-Cache"] == "miss"
    normal = await client.get(url(PLANS), headers=headers)
    assert normal.headers["X-Usina-Cache"] == "miss"
    again = await client.get(url(PLANS), headers=headers)
    assert again.headers["X-Usina-Cache"] == "hit"
