"""Links the platform returns point where clients reach it: ``usina serve --port N`` answers an
export's ``downloadUrl`` on port N, a configured public URL wins, and a change of public URL
leaves every token already issued valid (the issuer is not a link and does not move)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.graphql.conftest import seeded, serving

PLAN = "{ actionPlans(first: 1) { nodes { id } } }"
EXPORT = (
    "mutation($p: ID!) { exportActionPlan(input: {actionPlanId: $p, format: CSV}) { job { id } } }"
)
JOB = "query($id: ID!) { node(id: $id) { ... on Job { status downloadUrl } } }"


def ask(url: str, token: str, query: str, **variables: str) -> dict:
    response = httpx.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "X-Tenant": "demo"},
        timeout=30,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def download_url(url: str, token: str) -> str:
    plan = ask(url, token, PLAN)["actionPlans"]["nodes"][0]["id"]
    job = ask(url, token, EXPORT, p=plan)["exportActionPlan"]["job"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the embedded worker runs the export
        node = ask(url, token, JOB, id=job)["node"]
        if node["status"] == "SUCCEEDED":
            return str(node["downloadUrl"])
        assert node["status"] != "FAILED", node
        time.sleep(0.2)
    raise AssertionError("the export did not finish")


def test_links_follow_the_served_port_and_the_public_url(tmp_path: Path) -> None:
    env = seeded(tmp_path)
    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "usina",
            "tokens",
            "issue",
            "--tenant",
            "demo",
            "--role",
            "editor",
            "--subject",
            "ed",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()

    with serving(env) as url:
        served = urlsplit(url)
        link = download_url(url, token)
        assert urlsplit(link).netloc == served.netloc  # the port it serves on, not the issuer's
        downloaded = httpx.get(link, timeout=30)
        assert downloaded.status_code == 200
        assert "attachment" in downloaded.headers["content-disposition"]

    public = "https://transparencia.villa.example/api"
    with serving(env | {"USINA_PUBLIC_URL": public + "/"}) as url:
        # the token issued before the change still validates
        link = download_url(url, token)
        assert link.startswith(public + "/files/")
        # the link's path and signature work on the server behind that public URL
        path = link.removeprefix(public)
        assert httpx.get(url.removesuffix("/graphql") + path, timeout=30).status_code == 200


def test_a_malformed_public_url_stops_the_server_with_a_message(tmp_path: Path) -> None:
    env = seeded(tmp_path) | {"USINA_PUBLIC_URL": "transparencia.villa.example"}
    result = subprocess.run(
        [sys.executable, "-m", "usina", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: BAD_CONFIGURATION (USINA_PUBLIC_URL): ")
    assert "Traceback" not in result.stderr
