"""GraphiQL with no CDN: ``usina ide install`` fetches its pinned assets from the npm registry
(each checked against the page's integrity hash) and the page then loads them from Usina."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphql_schema import ide
from graphql_schema.app import create_app
from tests.graphql.conftest import NODE_TOOLS, node_or_skip, seeded, serving


def page(app: Any) -> Any:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from strawberry.http.ides import get_graphql_ide_html

    directory = tmp_path_factory.mktemp("ide")
    try:
        ide.install(get_graphql_ide_html("graphiql"), directory)
    except httpx.HTTPError as error:  # no registry: make run falls back to the CDN too
        pytest.skip(f"the npm registry is not reachable: {error}")
    return directory


async def test_the_page_loads_graphiql_from_usina_once_installed(
    db: Any, settings: Any, installed: Path
) -> None:
    app = create_app(settings.model_copy(update={"ide_assets_dir": str(installed)}), db=db)
    async with page(app) as client:
        html = (await client.get("/graphql", headers={"Accept": "text/html"})).text
        assert "unpkg.com" not in html
        paths = [line.split('"')[1] for line in html.split() if ide.PREFIX in line]
        assert len(paths) == 7  # React, ReactDOM, js-cookie, GraphiQL and its explorer
        for path in paths:  # every asset is served here
            answer = await client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["content-type"].split(";")[0] in (
                "application/javascript",
                "text/css",
            )
        assert (await client.get(ide.PREFIX + "../../etc/passwd")).status_code == 404
    await app.state.oidc.close()


async def test_without_the_assets_the_page_falls_back_to_the_cdn(
    db: Any, settings: Any, tmp_path: Path
) -> None:
    app = create_app(settings.model_copy(update={"ide_assets_dir": str(tmp_path)}), db=db)
    async with page(app) as client:
        html = (await client.get("/graphql", headers={"Accept": "text/html"})).text
    assert "https://unpkg.com/graphiql@" in html and ide.PREFIX not in html
    await app.state.oidc.close()


def test_a_tampered_asset_is_not_served(installed: Path, tmp_path: Path) -> None:
    from strawberry.http.ides import get_graphql_ide_html

    html = get_graphql_ide_html("graphiql")
    copy = tmp_path / "ide"
    for file in installed.rglob("*"):
        if file.is_file():
            target = copy / file.relative_to(installed)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.read_bytes())
    (copy / ide.assets(html)[0].local).write_text("alert('tampered')")
    assert ide.localized(html, copy) == html  # back to the CDN, never the tampered copy


def test_graphiql_works_in_chromium_with_no_request_to_a_cdn(
    installed: Path, tmp_path: Path
) -> None:
    """The page as a person opens it: GraphiQL renders, runs the demo's portal query, and
    Chromium asks nothing of any host but Usina's own."""
    node = node_or_skip("playwright-core")
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is needed (make test installs it)")
        pytest.skip("chromium is not installed")
    env = seeded(tmp_path, {"USINA_IDE_ASSETS_DIR": str(installed)})
    with serving(env) as url:
        ran = subprocess.run(
            [node, str(NODE_TOOLS / "portal" / "graphiql.mjs"), url],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=NODE_TOOLS,
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads(ran.stdout) == {"elsewhere": [], "rendered": True}
