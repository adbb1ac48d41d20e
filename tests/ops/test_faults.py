"""Services going away mid-traffic, on throwaway servers these tests start and stop (never the
machine's shared ones).

PostgreSQL: requests fail fast with ``SERVICE_UNAVAILABLE`` (HTTP 503 and ``Retry-After``) in
the caller's language, ``/readyz`` says so, a write attempted meanwhile leaves nothing behind,
and service resumes by itself when the database is back.

Redis: reads keep working (uncached), the rate limiter lets requests through, a job committed
meanwhile waits in the outbox and runs once when Redis is back (``docs/deploy.md``).
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

from tests.graphql.conftest import seeded, serving
from tests.throwaway import ThrowawayPostgres, ThrowawayRedis, postgres_bin

BIN = postgres_bin()


@pytest.fixture(scope="module")
def outage() -> Iterator[dict[str, Any]]:
    if os.geteuid() != 0 or BIN is None or not shutil.which("runuser"):
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


@pytest.mark.postgres
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


EXPORT = "mutation($p: ID!) { exportActionPlan(input: {actionPlanId: $p, format: CSV}) { job { id status } } }"
JOB = "query($id: ID!) { node(id: $id) { ... on Job { status } } }"
PLANS = "{ actionPlans(first: 5) { nodes { id title commitments(first: 5) { totalCount } } } }"


@pytest.mark.redis
def test_redis_stops_reads_keep_working_and_jobs_wait_in_the_outbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("the fault test needs redis-server")
        pytest.skip("needs redis-server")
    home = tmp_path_factory.mktemp("redis")
    redis = ThrowawayRedis(home)
    redis.start()
    env = seeded(
        tmp_path_factory.mktemp("db"),
        {
            "USINA_REDIS_URL": redis.url,
            "USINA_WORKERS": "redis",
            "USINA_RESPONSE_CACHE": "redis",
            "USINA_PERSISTED_QUERIES": "redis",
            "USINA_RATE_LIMIT": "true",
        },
    )
    usina = [sys.executable, "-m", "usina"]
    editor = subprocess.run(
        [*usina, "tokens", "issue", "--tenant", "demo", "--role", "editor", "--subject", "ed"],
        env=env, check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    staff = {"Authorization": f"Bearer {editor}"}
    worker = subprocess.Popen(
        [*usina, "worker", "--threads", "2"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with serving(env) as url, httpx.Client(timeout=30) as http:

            def public() -> httpx.Response:
                return http.get(url, params={"query": PLANS}, headers={"X-Tenant": "demo"})

            def job_status(job_id: str) -> str:
                answer = http.post(url, json={"query": JOB, "variables": {"id": job_id}},
                                   headers=staff)  # fmt: skip
                return str(answer.json()["data"]["node"]["status"])

            def export(plan: str) -> str:
                answer = http.post(url, json={"query": EXPORT, "variables": {"p": plan}},
                                   headers=staff)  # fmt: skip
                assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
                return str(answer.json()["data"]["exportActionPlan"]["job"]["id"])

            def finished(job_id: str, seconds: float = 60) -> str:
                deadline = time.monotonic() + seconds
                while (status := job_status(job_id)) not in ("SUCCEEDED", "FAILED"):
                    assert time.monotonic() < deadline, status
                    time.sleep(0.2)
                return status

            before = public()
            assert before.status_code == 200
            plan = next(
                p["id"] for p in before.json()["data"]["actionPlans"]["nodes"]
                if p["commitments"]["totalCount"]
            )  # fmt: skip
            assert finished(export(plan)) == "SUCCEEDED"  # the worker runs jobs from Redis

            redis.stop()
            for _ in range(3):  # uncached, from the database; the limiter lets them through
                during = public()
                assert during.status_code == 200, during.text
                assert during.json()["data"] == before.json()["data"]
            assert http.post(url, json={"query": PLANS}, headers=staff).status_code == 200
            waiting = export(plan)  # committed with its job; the broker cannot take it now
            assert job_status(waiting) == "QUEUED"
            ready = http.get(url.replace("/graphql", "/readyz"))
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"

            redis.start()
            swept = subprocess.run(
                [*usina, "jobs", "enqueue-periodic", "--queued-grace", "0"],
                env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert swept.returncode == 0, swept.stderr
            assert finished(waiting, seconds=90) == "SUCCEEDED"  # sent from the outbox, run once
            files = subprocess.run(
                [sys.executable, "-c", COUNT_FILES, env["USINA_DATABASE_URL"], waiting],
                capture_output=True, text=True, timeout=60, check=True,
            ).stdout.strip()  # fmt: skip
            assert files == "1"  # not lost, not doubled
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        redis.stop()


#: How many export files a job left, read straight from the database.
COUNT_FILES = """
import base64, sqlite3, sys
url, job = sys.argv[1], sys.argv[2]
job_id = base64.urlsafe_b64decode(job + "=" * (-len(job) % 4)).decode().split(":", 1)[1]
db = sqlite3.connect(url.split("///", 1)[1])
print(db.execute("SELECT count(*) FROM export_files WHERE job_id = ?",
                 (job_id.replace("-", ""),)).fetchone()[0])
"""
