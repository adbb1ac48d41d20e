"""Rate limiting against the real Redis: a points bucket per (principal, municipality); an
exhausted bucket answers 429 with Retry-After and RATE_LIMITED, and runs nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from tenants.database import Database
from tests.factories import World, error_codes

pytestmark = pytest.mark.redis

QUERY = "{ actionPlans(first: 1) { nodes { id } } }"  # rate-limit cost 1


@pytest.fixture
async def limited(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    own = settings.model_copy(
        update={
            "rate_limit": True,
            "rate_limit_points": 5,
            "rate_limit_anonymous_points": 3,
            "rate_limit_window_seconds": 3600,
            "rate_limit_prefix": f"usina-test:{uuid.uuid4().hex}",
        }
    )
    app = create_app(own, db=db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http,
    ):
        yield http


async def _ask(
    http: httpx.AsyncClient, tenant: str, token: str | None = None, accept: str = "application/json"
) -> httpx.Response:
    headers = {"X-Tenant": tenant, "Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", json={"query": QUERY}, headers=headers)


async def test_anonymous_clients_have_a_stricter_budget_then_get_429(
    limited: Any, world: World, count_statements: Any
) -> None:
    answers = [await _ask(limited, world.a.slug) for _ in range(3)]
    assert all(r.status_code == 200 and "errors" not in r.json() for r in answers)
    assert [r.json()["extensions"]["cost"]["rateLimitRemaining"] for r in answers] == [2, 1, 0]
    count_statements.statements.clear()
    refused = await _ask(limited, world.a.slug)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert error_codes(refused.json()) == ["RATE_LIMITED"]
    assert refused.json()["data"] is None
    # Only the municipality lookup ran; no resolver touched the database.
    assert all(
        "municipalities" in s or s.startswith("SET LOCAL ") for s in count_statements.statements
    )
    modern = await _ask(limited, world.a.slug, accept="application/graphql-response+json")
    assert modern.status_code == 429 and "data" not in modern.json()


async def test_each_principal_and_municipality_has_its_own_bucket(
    limited: Any, world: World, tokens: TokenService
) -> None:
    editor_a = tokens.issue(subject="ana", role="editor", tenant=world.a.slug)
    statuses = [(await _ask(limited, world.a.slug, editor_a)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    other_person = tokens.issue(subject="beto", role="editor", tenant=world.a.slug)
    assert (await _ask(limited, world.a.slug, other_person)).status_code == 200
    assert (await _ask(limited, world.b.slug)).status_code == 200  # anonymous in B: untouched


async def test_a_bucket_belongs_to_an_issuer_and_a_subject(settings: Settings) -> None:
    """A provider's ``sub`` is unique only at that provider: the same subject vouched for by
    another issuer (a participant's provider) has a bucket of its own, never the admin's."""
    from core.identity.principal import Principal
    from core.identity.roles import Role
    from graphql_schema.ratelimit import Decision, charge

    keys: list[str] = []

    class Recording:
        async def take(
            self, key: str, cost: int, *, capacity: int, window_seconds: int
        ) -> Decision:
            keys.append(key)
            return Decision(True, capacity, capacity - cost, 0)

    admin = Principal(subject="u-1", role=Role.TENANT_ADMIN, issuer="https://staff.example")
    participant = Principal(subject="u-1", role=Role.PARTICIPANT, issuer="https://idp.town.example")
    for principal in (admin, participant, admin):
        await charge(Recording(), settings, principal, "a", "10.0.0.1", 1)  # type: ignore[arg-type]
    assert keys[0] == keys[2] and keys[0] != keys[1]
