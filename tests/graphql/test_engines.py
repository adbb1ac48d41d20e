"""The speed layer changes no answer: the same documents through an app on the speed layer
(``USINA_ENGINE=fast``: graphql_schema/execution.py's executor, statements compiled for
asyncpg) and through one on the libraries' public paths alone (``stock``: graphql-core's
executor, SQLAlchemy's statement path) give the same bytes, on both databases.

The documents: every field the public may read and every field an editor may read (the
privacy walk's, built from the SDL and the permission table: every root field and ``node`` on
every kind of object), over a municipality where staff did every kind of work, and the
reference portal's documents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.identity.principal import ANONYMOUS, Principal
from core.identity.roles import Role
from core.identity.tokens import TokenService
from core.settings import Settings
from graphql_schema.app import create_app
from graphql_schema.view import PORTAL_QUERY
from tenants.database import Database
from tests.conftest import REPO
from tests.factories import World, gql
from tests.graphql.test_privacy import _walk, staff_at_work, walk_as

PORTAL = Path(REPO / "examples" / "portal")


@pytest.fixture
async def engines(db: Database, walk_settings: Settings) -> Any:
    """Two apps on one database: the speed layer's, and the stock one."""
    clients = {}
    apps = []
    for engine in ("fast", "stock"):
        settings = walk_settings.model_copy(update={"engine": engine, "response_cache": "off"})
        app = create_app(settings, db=db)
        apps.append(app)
        clients[engine] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
    yield clients
    for client in clients.values():
        await client.aclose()
    for app in apps:
        await app.state.oidc.close()


def same_bytes(text: str) -> str:
    """Signed links carry their own signing time: the rest must be byte for byte."""
    return re.sub(r"token=[A-Za-z0-9._-]+", "token=…", text)


async def test_the_stock_engine_answers_every_readable_field_as_the_speed_layer_does(
    engines: dict[str, httpx.AsyncClient], world: World, tokens: TokenService
) -> None:
    await staff_at_work(engines["fast"], world, tokens)
    editor = Principal(subject="lector", role=Role.EDITOR, tenant=world.a.slug)
    token = tokens.issue(subject="lector", role="editor", tenant=world.a.slug)
    for principal, bearer in ((ANONYMOUS, None), (editor, token)):
        walk = _walk(principal, world)
        fast, fast_values = await walk_as(engines["fast"], world, walk, token=bearer)
        stock, _ = await walk_as(engines["stock"], world, walk, token=bearer)
        assert fast_values > 500, fast_values  # a whole world was read, not refusals
        assert same_bytes(stock) == same_bytes(fast)


async def test_the_portals_documents_answer_the_same_on_both_engines(
    engines: dict[str, httpx.AsyncClient], world: World
) -> None:
    a = world.a
    documents: list[tuple[str, dict[str, Any]]] = [
        (PORTAL_QUERY, {}),
        ((PORTAL / "portal.graphql").read_text(), {}),
        ((PORTAL / "kpis.graphql").read_text(), {"id": a.gid("Commitment")}),
    ]
    for document, variables in documents:
        answers = [
            await gql(engines[engine], document, variables, tenant=a.slug)
            for engine in ("fast", "stock")
        ]
        assert "errors" not in answers[0], answers[0]
        assert json.dumps(answers[1]) == json.dumps(answers[0])


async def test_a_job_gives_the_same_result_on_both_engines(
    db: Database, world: World, settings: Settings
) -> None:
    """The worker too: an export and a recompute of A's plan, run by a runtime on each
    engine, succeed and make the same file."""
    from sqlalchemy import select

    from core.jobs.models import ExportFile, Job, JobStatus
    from tests.workers.conftest import Recorder
    from tests.workers.test_jobs import enqueue, run_all, runtime_for
    from workers.builtin import EXPORT, RECOMPUTE

    a = world.a
    files = {}
    for engine in ("fast", "stock"):
        runtime = runtime_for(settings.model_copy(update={"engine": engine}), db, Recorder())
        for kind, args in (
            (RECOMPUTE, {"plan_id": str(a.plan_id)}),
            (EXPORT, {"plan_id": str(a.plan_id), "format": "json"}),
        ):
            pending = await enqueue(db, a, kind, args)
            await run_all(runtime, Recorder(), pending)
            async with db.session(a.binding) as session:
                job = await session.get(Job, (a.municipality.id, pending.job_id))
                assert job is not None and job.status is JobStatus.SUCCEEDED, (engine, job)
                if kind == EXPORT:
                    row = (
                        await session.execute(select(ExportFile).where(ExportFile.job_id == job.id))
                    ).scalar_one()
                    files[engine] = row.content
    assert files["stock"] == files["fast"]
