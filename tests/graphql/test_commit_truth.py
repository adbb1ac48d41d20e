"""The answer tells the truth about the commit: work after a commit cannot turn it into an
error, a deadline stops only work that has not committed, and ``Idempotency-Key`` makes a
retry write nothing and return the first answer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core.identity.tokens import TokenService
from core.progress.models import ProgressReport
from tenants.database import Database
from tenants.unit_of_work import Committed
from tests.factories import World
from tests.graphql.test_hardening import app_client

REPORT = (
    "mutation($in: ReportProgressInput!) { reportProgress(input: $in) { report { id percent } } }"
)
#: Long enough that, on a loaded machine, the deadline passes only in the sleeps these tests
#: add (a cancellation inside a statement is another test's subject: test_hardening.py).
DEADLINE = 2.0


@pytest.fixture
async def slow_after_commit(db: Database) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app whose work after every commit (listeners: caches, plugins' events) outlasts the
    request's deadline."""
    async for app, http in app_client(db, request_timeout_seconds=DEADLINE):

        async def slow(_: Committed) -> None:
            await asyncio.sleep(DEADLINE * 2)

        app.state.uow.listeners = (*app.state.uow.listeners, slow)
        yield app, http


async def reports(db: Database, w: World) -> int:
    async with db.session(w.a.binding) as session:
        return int(await session.scalar(select(func.count()).select_from(ProgressReport)) or 0)


def report(w: World, percent: int) -> dict[str, Any]:
    return {
        "query": REPORT,
        "variables": {"in": {"milestoneId": w.a.gid("Milestone"), "percent": percent}},
    }


async def test_committed_writes_answer_success_past_the_deadline_and_retries_write_nothing(
    slow_after_commit: tuple[Any, httpx.AsyncClient],
    db: Database,
    world: World,
    tokens: TokenService,
) -> None:
    _, http = slow_after_commit
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    keys = [str(uuid.uuid4()) for _ in range(6)]

    def send(key: str, percent: int) -> Any:
        headers = {"Authorization": f"Bearer {editor}", "Idempotency-Key": key}
        return http.post("/graphql", json=report(world, percent), headers=headers)

    before = await reports(db, world)
    first = await asyncio.gather(*(send(key, 10 + i) for i, key in enumerate(keys)))
    for answer in first:
        assert answer.status_code == 200, answer.text
        assert "errors" not in answer.json(), answer.text
    assert await reports(db, world) == before + len(keys)  # every success is a row

    retried = await asyncio.gather(*(send(key, 10 + i) for i, key in enumerate(keys)))
    for original, again in zip(first, retried, strict=True):
        assert again.status_code == original.status_code
        assert again.content == original.content  # the first answer, byte for byte
        assert again.headers["Idempotent-Replayed"] == "true"
    assert await reports(db, world) == before + len(keys)  # and nothing written again

    other_body = await send(keys[0], 99)
    assert other_body.status_code == 409
    assert other_body.json()["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await reports(db, world) == before + len(keys)


@pytest.fixture
async def hasty(db: Database) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async for pair in app_client(db, request_timeout_seconds=DEADLINE):
        yield pair


async def test_a_request_stopped_before_its_commit_leaves_no_row_and_its_retry_runs(
    hasty: tuple[Any, httpx.AsyncClient],
    db: Database,
    world: World,
    tokens: TokenService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, http = hasty
    authenticate = app.state.authenticator.authenticate
    delay = {"seconds": DEADLINE * 2}

    async def slowly(*args: Any) -> Any:
        found = await authenticate(*args)
        await asyncio.sleep(delay["seconds"])
        return found

    monkeypatch.setattr(app.state.authenticator, "authenticate", slowly)
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    headers = {"Authorization": f"Bearer {editor}", "Idempotency-Key": str(uuid.uuid4())}
    before = await reports(db, world)
    stopped = await http.post("/graphql", json=report(world, 33), headers=headers)
    assert stopped.status_code == 503
    assert stopped.json()["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"
    assert await reports(db, world) == before  # a failed answer left no row
    delay["seconds"] = 0
    retried = await http.post("/graphql", json=report(world, 33), headers=headers)
    assert retried.status_code == 200 and "errors" not in retried.json(), retried.text
    assert "Idempotent-Replayed" not in retried.headers
    assert await reports(db, world) == before + 1


async def test_idempotency_keys_belong_to_their_caller(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    """One caller's key never answers another's request."""
    key = str(uuid.uuid4())
    before = await reports(db, world)
    for subject in ("editor-a", "editor-b"):
        editor = tokens.issue(subject=subject, role="editor", tenant=world.a.slug)
        headers = {"Authorization": f"Bearer {editor}", "Idempotency-Key": key}
        answer = await client.post("/graphql", json=report(world, 20), headers=headers)
        assert "errors" not in answer.json(), answer.text
        assert "Idempotent-Replayed" not in answer.headers
    assert await reports(db, world) == before + 2


async def test_a_malformed_idempotency_key_is_bad_user_input(
    client: httpx.AsyncClient, world: World, tokens: TokenService
) -> None:
    editor = tokens.issue(subject="editor-a", role="editor", tenant=world.a.slug)
    headers = {"Authorization": f"Bearer {editor}", "Idempotency-Key": "x" * 300}
    answer = await client.post("/graphql", json=report(world, 20), headers=headers)
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "Idempotency-Key"
