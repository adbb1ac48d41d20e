"""PostgreSQL going away mid-traffic, on a throwaway server this test starts and stops (never the
machine's shared one): requests fail fast with ``SERVICE_UNAVAILABLE`` (HTTP 503 and
``Retry-After``) in the caller's language, ``/readyz`` says so, a write attempted meanwhile
leaves nothing behind, and service resumes by itself when the database is back.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.graphql.conftest import _free_port, serving

BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = pytest.mark.postgres


class ThrowawayPostgres:
    """A private PostgreSQL cluster in ``home``, run as the ``postgres`` OS user."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.data = home / "data"
        self.port = _free_port()

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init(self) -> None:
        shutil.chown(self.home, "postgres")
        self._as_postgres(
            str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def start(self) -> None:
        self._as_postgres(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.home / "log"),
            "-o", f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def outage() -> Iterator[dict[str, Any]]:
    if os.geteuid() != 0 or not (BIN / "initdb").exists() or not shutil.which("runuser"):
        if os.environ.get("CI"):
            pytest.fail("the fault test needs root and PostgreSQL 15's initdb")
        pytest.skip("needs root and PostgreSQL 15's initdb")
    # Not under pytest's own temporary folder: the postgres user cannot enter root's.
    home = Path(tempfile.mkdtemp(prefix="usina-pg-"))
    server = ThrowawayPostgres(home)
    server.init()
    server.start()
    try:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(BIN / "createdb"), "-h", "127.0.0.1",
             "-p", str(server.port), "usina"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        env = os.environ | {"USINA_DATABASE_URL": server.url("usina")}
        usina = [sys.executable, "-m", "usina"]
        for step in (["migrate"], ["demo", "seed"]):
            subprocess.run(usina + step, env=env, check=True, capture_output=True, timeout=120)
        editor = subprocess.run(
            [*usina, "tokens", "issue", "--tenant", "demo", "--role", "editor", "--subject", "ed"],
            env=env, check=True, capture_output=True, text=True, timeout=60,
        ).stdout.strip()  # fmt: skip
        with serving(env) as url:
            yield {"server": server, "url": url, "editor": editor}
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(home, ignore_errors=True)


MILESTONE = "{ actionPlans(first: 5) { nodes { commitments(first: 1) { nodes { milestones(first: 1) { nodes { id reports(first: 50) { totalCount } } } } } } } }"
REPORT = "mutation($m: ID!) { reportProgress(input: {milestoneId: $m, percent: 77}) { milestone { progress } } }"


def test_the_database_stops_requests_fail_fast_with_503_and_service_resumes(
    outage: dict[str, Any],
) -> None:
    url, server = outage["url"], outage["server"]
    staff = {"Authorization": f"Bearer {outage['editor']}"}  # never answered from a cache

    def ask(
        document: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        return httpx.post(
            url, json={"query": document, "variables": variables or {}},
            headers=staff | headers, timeout=30,
        )  # fmt: skip

    def reports() -> tuple[str, int]:
        body = ask(MILESTONE).json()
        milestone = next(  # the implemented plan's (the demo's other plan is an empty draft)
            c["milestones"]["nodes"][0]
            for plan in body["data"]["actionPlans"]["nodes"]
            for c in plan["commitments"]["nodes"]
        )
        return milestone["id"], milestone["reports"]["totalCount"]

    milestone, before = reports()
    server.stop()

    read = ask(MILESTONE, **{"Accept-Language": "pt-BR"})
    assert read.status_code == 503, read.text
    assert read.headers["retry-after"] == "5"
    error = read.json()["errors"][0]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["message"].startswith("O banco de dados não responde")
    written = ask(REPORT, {"m": milestone})
    assert written.status_code == 503
    assert [e["extensions"]["code"] for e in written.json()["errors"]] == ["SERVICE_UNAVAILABLE"]
    # A municipality not known yet: authentication itself needs the database.
    anonymous = httpx.get(
        url, params={"query": "{ actors { totalCount } }"}, headers={"X-Tenant": "nowhere"},
        timeout=30,
    )  # fmt: skip
    assert anonymous.status_code == 503
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    ready = httpx.get(url.replace("/graphql", "/readyz"), timeout=30)
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    assert httpx.get(url.replace("/graphql", "/healthz"), timeout=30).status_code == 200

    server.start()
    for _ in range(50):  # resumes by itself: the pool replaces its dead connections
        if httpx.get(url.replace("/graphql", "/readyz"), timeout=30).status_code == 200:
            break
        time.sleep(0.2)
    assert reports() == (milestone, before)  # the refused write left nothing behind
    again = ask(REPORT, {"m": milestone})
    assert again.status_code == 200 and "errors" not in again.json(), again.text
    assert reports() == (milestone, before + 1)
