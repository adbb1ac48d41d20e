"""`make test` fails loudly under CI when a service is unreachable, and only warns otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

UNREACHABLE = {
    "USINA_TEST_PG_HOST": "127.0.0.3",
    "USINA_TEST_PG_PORT": "5432",
    "USINA_TEST_REDIS_HOST": "127.0.0.3",
    "USINA_TEST_REDIS_PORT": "6379",
}


def run(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "tests/check_services.py"],
        cwd=REPO,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_unreachable_services_fail_under_ci() -> None:
    result = run(CI="true", **UNREACHABLE)
    assert result.returncode == 1
    assert (
        "PostgreSQL (127.0.0.3:5432)" in result.stderr and "Redis (127.0.0.3:6379)" in result.stderr
    )


def test_unreachable_services_only_warn_outside_ci() -> None:
    result = run(**UNREACHABLE)
    assert result.returncode == 0
    assert result.stderr.startswith("warning:")


def test_reachable_services_pass_quietly() -> None:
    result = run(CI="true")
    assert (result.returncode, result.stderr) == (0, "")
