"""Persisted queries (``graphql_schema/persisted.py``): Apollo's APQ over POST and GET, and
trusted documents for anonymous clients. (Apollo Client itself: test_portal_clients.py.)"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from core.identity.tokens import TokenService
from graphql_schema.app import create_app
from tests.factories import World, error_codes, gql

QUERY = "{ municipality { slug } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()
HASH_ONLY = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}}


def unique(query: str) -> tuple[str, str]:
    """A document no other test registered (the store lives as long as the app)."""
    import uuid

    document = query.replace("{ municipality", f"{{ _{uuid.uuid4().hex[:8]}: municipality", 1)
    return document, hashlib.sha256(document.encode()).hexdigest()


def hashed(digest: str, query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    return body


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_hash_is_unknown_until_its_query_is_sent_once(
    client: Any, world: World, method: str
) -> None:
    document, digest = unique(QUERY)

    async def send(body: dict[str, Any]) -> httpx.Response:
        headers = {"X-Tenant": world.a.slug}
        if method == "POST":
            return await client.post("/graphql", json=body, headers=headers)
        params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
        return await client.get("/graphql?" + urlencode(params), headers=headers)

    miss = await send(hashed(digest))
    assert miss.status_code == 200
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = await send(hashed(digest, document))
    assert "errors" not in registered.json()
    again = await send(hashed(digest))
    assert again.json()["data"] == registered.json()["data"]
    assert list(again.json()["data"].values()) == [{"slug": world.a.slug}]


async def test_a_miss_in_graphql_response_json_is_a_4xx_without_data(
    client: Any, world: World
) -> None:
    _, digest = unique(QUERY)
    miss = await client.post(
        "/graphql",
        json=hashed(digest),
        headers={"X-Tenant": world.a.slug, "Accept": "application/graphql-response+json"},
    )
    assert miss.status_code == 400 and "data" not in miss.json()
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": DIGEST}},
        {"persistedQuery": "abc"},
        {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}},
    ],
    ids=["version", "shape", "mismatch"],
)
async def test_bad_persisted_queries_are_refused_with_a_code(
    client: Any, world: World, extensions: dict[str, Any]
) -> None:
    answer = await client.post(
        "/graphql",
        json={"query": QUERY, "extensions": extensions},
        headers={"X-Tenant": world.a.slug},
    )
    assert error_codes(answer.json()) == ["BAD_USER_INPUT"]
    assert answer.json()["errors"][0]["extensions"]["field"].startswith("extensions.persistedQuery")


async def test_trusted_documents_only_for_anonymous_clients(
    db: Any, settings: Any, world: World, tokens: TokenService
) -> None:
    app = create_app(settings.model_copy(update={"trusted_documents": True}), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        headers = {"X-Tenant": world.a.slug}
        plain = await http.post("/graphql", json={"query": QUERY}, headers=headers)
        assert error_codes(plain.json()) == ["PERSISTED_QUERY_REQUIRED"]
        self_registered = await http.post("/graphql", json=hashed(DIGEST, QUERY), headers=headers)
        assert error_codes(self_registered.json()) == ["PERSISTED_QUERY_REQUIRED"]

        admin = tokens.issue(subject="adm", role="tenant_admin", tenant=world.a.slug)
        register = "mutation($d: [String!]!) { registerPersistedDocuments(input: {documents: $d}) { sha256Hashes } }"
        result = await gql(http, register, {"d": [QUERY]}, token=admin)
        assert result["data"] == {"registerPersistedDocuments": {"sha256Hashes": [DIGEST]}}
        by_hash = await http.post("/graphql", json=hashed(DIGEST), headers=headers)
        assert by_hash.json()["data"] == {"municipality": {"slug": world.a.slug}}
        # Signed-in callers (staff tools, integrations) are not restricted.
        staff = await gql(http, "{ viewer { role } }", token=admin)
        assert staff["data"] == {"viewer": {"role": "TENANT_ADMIN"}}
        bad = await gql(http, register, {"d": ["{ not graphql"]}, token=admin)
        assert error_codes(bad) == ["BAD_USER_INPUT"]
    await app.state.oidc.close()


# name: (document, whether the request names a municipality)
NOT_KEPT: dict[str, tuple[str, bool]] = {
    "unparseable": ("{ municipality { slug " + "x" * 200, True),
    "invalid for the schema": ("{ municipality { noSuchField } }", True),
    "over a limit": ("{" + " ".join(f'node(id:"{i}"){{id}}' for i in range(100)) + "}", True),
    "no municipality named": ("{ __typename municipality { slug } }", False),
}


@pytest.mark.parametrize("case", list(NOT_KEPT))
async def test_the_store_keeps_only_documents_that_validated_and_were_charged(
    app: Any, client: Any, world: World, case: str
) -> None:
    """Anonymous callers cannot fill the store (the Redis that also holds the jobs and the
    limiter) with documents that never ran."""
    import uuid

    text, named = NOT_KEPT[case]
    document = f"# {uuid.uuid4()}\n{text}"
    digest = hashlib.sha256(document.encode()).hexdigest()
    headers = {"X-Tenant": world.a.slug} if named else {}
    await client.post("/graphql", json=hashed(digest, document), headers=headers)
    store = app.state.persisted.store
    assert await store.get(digest) is None
    kept, kept_digest = unique(QUERY)
    await client.post(
        "/graphql", json=hashed(kept_digest, kept), headers={"X-Tenant": world.a.slug}
    )
    assert await store.get(kept_digest) is not None


async def test_a_municipality_has_a_quota_of_automatic_documents(
    app: Any, client: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graphql_schema import persisted

    store = app.state.persisted.store
    monkeypatch.setattr(persisted, "QUOTA", 0)
    document, digest = unique(QUERY)
    answer = await client.post(
        "/graphql", json=hashed(digest, document), headers={"X-Tenant": world.b.slug}
    )
    assert "errors" not in answer.json()  # it runs; it is only not kept
    assert await store.get(digest) is None
    monkeypatch.setattr(persisted, "QUOTA", 1_000)
    await client.post("/graphql", json=hashed(digest, document), headers={"X-Tenant": world.b.slug})
    assert await store.get(digest) is not None
