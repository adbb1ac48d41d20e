"""One egress guard for every call made for a municipality (``core/egress.py``): identity
providers' discovery and JWKS, webhooks. Public addresses only, resolved once and connected
to as checked, an operator allowlist, failed fetches remembered."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from core.egress import Egress, EgressRefused, refused_address
from core.identity import service as identity
from core.identity.principal import SYSTEM
from core.identity.tokens import TokenService
from tenants.database import Database
from tests.factories import World, error_codes, gql
from tests.graphql.test_hardening import app_client

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001::1",  # Teredo
    "169.254.169.254",  # cloud metadata
    "fe80::1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (CGNAT)
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "fc00::1",
    "192.0.2.1",  # documentation
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not refused_address(ipaddress.ip_address(address))


def test_the_operators_allowlist_lets_an_on_premises_network_through() -> None:
    allowed = (ipaddress.ip_network("10.20.0.0/16"),)
    assert not refused_address(ipaddress.ip_address("10.20.3.4"), allowed)
    assert refused_address(ipaddress.ip_address("10.21.3.4"), allowed)


async def test_a_call_connects_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name resolves to a public address when checked and to loopback a
    moment later; the call goes to the checked address, with the name as Host and TLS name."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

    async def getaddrinfo(host: str, port: Any, **_: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    egress = Egress(transport=httpx.MockTransport(handler))
    try:
        response = await egress.request("GET", "https://rebind.example/.well-known/x")
    finally:
        await egress.close()
    assert response.json() == {"ok": True}
    (request,) = seen
    assert request.url.host == "93.184.216.34"
    assert request.headers["host"] == "rebind.example"
    assert request.extensions["sni_hostname"] == "rebind.example"


async def test_an_answer_over_the_cap_is_refused() -> None:
    egress = Egress(
        max_bytes=1_000,
        transport=httpx.MockTransport(lambda _: httpx.Response(200, content=b"x" * 5_000)),
        allowed=(ipaddress.ip_network("8.8.8.8/32"),),
    )
    try:
        with pytest.raises(EgressRefused, match="over 1000 bytes"):
            await egress.request("GET", "http://8.8.8.8/jwks")
    finally:
        await egress.close()


ADD = (
    "mutation($in: AddIdentityProviderInput!) { addIdentityProvider(input: $in) "
    "{ identityProvider { id } } }"
)


@pytest.fixture
async def strict(db: Database) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app with no allowlist: as production runs."""
    async for pair in app_client(db):
        yield pair


@pytest.mark.parametrize(
    "issuer",
    [
        "http://127.0.0.1:8298",
        "http://localhost:8298",
        "http://[::1]:8298",
        "http://[::ffff:127.0.0.1]:8298",
        "http://169.254.169.254/latest",
        "http://10.1.2.3",
    ],
)
async def test_an_internal_issuer_is_refused_when_it_is_added(
    strict: tuple[Any, httpx.AsyncClient], world: World, tokens: TokenService, issuer: str
) -> None:
    _, http = strict
    admin = tokens.issue(subject="admin-a", role="tenant_admin", tenant=world.a.slug)
    variables = {"in": {"name": "IdP", "issuer": issuer, "audience": "api"}}
    result = await gql(http, ADD, variables, token=admin)
    assert error_codes(result) == ["BAD_USER_INPUT"], result
    assert result["errors"][0]["extensions"]["field"] == "issuer"


class _Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(500)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def internal_server() -> Iterator[tuple[str, type[_Counting]]]:
    handler = type("Counting", (_Counting,), {"hits": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def forged_token(issuer: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    header = {"alg": "RS256", "kid": "k1", "typ": "JWT"}
    claims = {"iss": issuer, "sub": "x", "aud": "api", "exp": int(time.time()) + 300}
    return f"{part(header)}.{part(claims)}.c2ln"


async def test_tokens_naming_an_internal_issuer_make_no_request_to_it(
    strict: tuple[Any, httpx.AsyncClient],
    db: Database,
    world: World,
    internal_server: tuple[str, type[_Counting]],
) -> None:
    """An issuer stored before the check (or by a path without it): anonymous callers' tokens
    naming it never make the server call the platform's own network."""
    url, handler = internal_server
    async with db.session(world.a.binding) as session:
        await identity.add_provider(
            session, SYSTEM, identity.ProviderData(name="old", issuer=url, audience="api")
        )
        await session.commit()
    _, http = strict
    for _ in range(5):
        result = await gql(
            http, "{ municipality { slug } }", token=forged_token(url), tenant=world.a.slug
        )
        assert error_codes(result) == ["UNAUTHENTICATED"], result
    assert handler.hits == 0


async def test_a_failed_fetch_is_remembered_per_issuer(
    db: Database,
    world: World,
    internal_server: tuple[str, type[_Counting]],
) -> None:
    """An allowed provider that fails: five tokens in a row make one fetch, not five."""
    url, handler = internal_server
    async with db.session(world.a.binding) as session:
        await identity.add_provider(
            session, SYSTEM, identity.ProviderData(name="down", issuer=url, audience="api")
        )
        await session.commit()
    async for _, http in app_client(db, egress_allow=["127.0.0.0/8"]):
        for _ in range(5):
            result = await gql(
                http, "{ municipality { slug } }", token=forged_token(url), tenant=world.a.slug
            )
            assert error_codes(result) == ["UNAUTHENTICATED"], result
    assert handler.hits == 1


async def test_a_receiver_that_trickles_its_answer_is_cut_off() -> None:
    """httpx's timeout bounds each read; the whole call is bounded too."""

    async def trickle() -> Any:
        for _ in range(100):
            await asyncio.sleep(0.05)
            yield b"x"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=trickle())

    egress = Egress(
        timeout=0.2,
        transport=httpx.MockTransport(handler),
        allowed=(ipaddress.ip_network("8.8.8.8/32"),),
    )
    started = time.monotonic()
    try:
        with pytest.raises(EgressRefused, match=r"took longer than 0\.4 s"):
            await egress.request("GET", "http://8.8.8.8/slow")
    finally:
        await egress.close()
    assert time.monotonic() - started < 2
