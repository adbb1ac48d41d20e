"""Fixtures of the API tests that talk to a live server, as real clients do."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.conftest import REPO

NODE_TOOLS = REPO / "tests" / "node"


def node_or_skip(package: str) -> str:
    """The node binary, when the test-only npm tools are installed (``make test`` installs
    them); under ``CI`` their absence fails the test instead of skipping it."""
    node = shutil.which("node")
    if node is None or not (NODE_TOOLS / "node_modules" / package).exists():
        if os.environ.get("CI"):
            pytest.fail(f"node and tests/node/node_modules/{package} are needed (make test)")
        pytest.skip(f"node or the {package} package is missing")
    return node


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seeded(home: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a database in ``home``, migrated and seeded like ``make run``."""
    environment = os.environ | {"USINA_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'usina.db'}"}
    environment |= env or {}
    usina = [sys.executable, "-m", "usina"]
    for step in (["migrate"], ["demo", "seed"]):
        subprocess.run(usina + step, env=environment, check=True, capture_output=True, timeout=120)
    return environment


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """``usina serve`` in a subprocess on a free loopback port; yields its GraphQL URL."""
    port = _free_port()
    log = open(os.environ.get("USINA_TEST_SERVER_LOG", os.devnull), "a")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "usina", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(150):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.terminate()
        try:  # a graceful stop finishes the embedded worker's jobs; a loaded machine is slow
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
            raise
        finally:
            log.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`usina serve` in a subprocess on loopback, migrated and seeded like `make run`."""
    with serving(seeded(tmp_path_factory.mktemp("live"))) as url:
        yield url


@pytest.fixture(scope="session")
def walk_settings(settings: Settings) -> Settings:
    """The suite's settings with the document limits opened: the walk is one large query per
    root field, sent by a test, not by a client."""
    return settings.model_copy(
        update={
            "max_query_depth": 64,
            "max_query_aliases": 1000,
            "max_query_tokens": 1_000_000,
            "max_query_chars": 4_000_000,
            "max_query_fields": 1_000_000,
            "max_query_width": 1000,
            "max_query_cost": 100_000_000,
            "rate_limit": False,
        }
    )
