"""One authentication step in front of every endpoint (``graphql_schema/authentication.py``):
each request is authenticated exactly once, and the same bad token (or municipality) is refused
the same way on GraphQL, the GraphiQL page, downloads and the OAuth token endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from core.identity.tokens import TokenService
from tests.factories import World

ENDPOINTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "graphql": ("POST", "/graphql", {"json": {"query": "{ viewer { role } }"}}),
    "graphiql page": ("GET", "/graphql", {"headers": {"Accept": "text/html"}}),
    "download": ("GET", f"/files/{uuid.uuid4()}", {"params": {"token": "not-a-link"}}),
    "token": (
        "POST",
        "/oauth/token",
        {
            "content": "grant_type=client_credentials",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
    ),
}


def bad_tokens(tokens: TokenService, world: World) -> dict[str, tuple[dict[str, str], str, int]]:
    """Headers, and the code and status every endpoint must answer."""
    expired = tokens.issue(subject="e", role="editor", tenant=world.a.slug, ttl_seconds=-60)
    of_b = tokens.issue(subject="e", role="editor", tenant=world.b.slug)
    return {
        "garbage": ({"Authorization": "Bearer abc.def.ghi"}, "UNAUTHENTICATED", 401),
        "expired": ({"Authorization": f"Bearer {expired}"}, "UNAUTHENTICATED", 401),
        "not bearer": ({"Authorization": "Token xyz"}, "UNAUTHENTICATED", 401),
        "another municipality's": (
            {"Authorization": f"Bearer {of_b}", "X-Tenant": world.a.slug},
            "FORBIDDEN",
            403,
        ),
        "unknown municipality": ({"X-Tenant": "no-such-place"}, "TENANT_UNKNOWN", 404),
    }


async def send(client: Any, endpoint: str, headers: dict[str, str]) -> Any:
    method, path, options = ENDPOINTS[endpoint]
    options = dict(options)
    options["headers"] = {**options.get("headers", {}), **headers}
    return await client.request(method, path, **options)


@pytest.fixture
def calls(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    seen: list[tuple[Any, ...]] = []
    authenticate = app.state.authenticator.authenticate

    async def counted(*args: Any) -> Any:
        seen.append(args)
        return await authenticate(*args)

    monkeypatch.setattr(app.state.authenticator, "authenticate", counted)
    yield seen


@pytest.mark.parametrize(
    "case", ["garbage", "expired", "not bearer", "another municipality's", "unknown municipality"]
)
async def test_the_same_bad_credentials_are_refused_the_same_way_on_every_endpoint(
    client: Any, world: World, tokens: TokenService, case: str
) -> None:
    headers, code, status = bad_tokens(tokens, world)[case]
    answers = {}
    for endpoint in ENDPOINTS:
        response = await send(client, endpoint, {**headers, "Accept-Language": "es"})
        body = response.json()
        assert "data" not in body, (endpoint, body)
        answers[endpoint] = (
            response.status_code,
            [e["extensions"]["code"] for e in body["errors"]],
            [e["message"] for e in body["errors"]],
            response.headers.get("www-authenticate"),
        )
    first = answers["graphql"]
    assert first[0] == status and first[1] == [code]
    assert (first[3] is not None) == (status == 401)
    assert all(answer == first for answer in answers.values()), answers


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
async def test_each_request_is_authenticated_once(
    client: Any, world: World, tokens: TokenService, calls: list[Any], endpoint: str
) -> None:
    editor = tokens.issue(subject="e", role="editor", tenant=world.a.slug)
    await send(client, endpoint, {"Authorization": f"Bearer {editor}", "X-Tenant": world.a.slug})
    assert len(calls) == 1
    assert calls[0][1] == world.a.slug


async def test_graphql_reads_the_identity_the_middleware_left(
    client: Any, world: World, tokens: TokenService, calls: list[Any]
) -> None:
    editor = tokens.issue(subject="ed-7", role="editor", tenant=world.a.slug)
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { role subject } }"},
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert response.json()["data"] == {"viewer": {"role": "EDITOR", "subject": "ed-7"}}
    assert len(calls) == 1


async def test_probes_and_key_discovery_need_no_authentication(
    client: Any, calls: list[Any]
) -> None:
    for path in ("/healthz", "/.well-known/jwks.json", "/.well-known/openid-configuration"):
        response = await client.get(path, headers={"Authorization": "Bearer garbage"})
        assert response.status_code == 200, path
    assert calls == []
