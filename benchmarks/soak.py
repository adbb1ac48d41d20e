"""A bounded soak: 20 concurrent clients, mixed reads and writes, on PostgreSQL + Redis + a
separate worker process, then a check that nothing accepted was lost and that every derived
value equals its recomputation from the facts.

``usina serve`` and ``usina worker`` run on a throwaway database (the demo seeded, the restricted
role) with Redis as broker, response cache and data versions. Each client loops over: the
anonymous portal query (55 %), a staff read (20 %), a progress report on a milestone still open
(20 %) and an export (5 %). Afterwards the script waits for the exports' jobs and checks, through
the API as an editor:

- every accepted report is stored (each milestone's report count = before + accepted);
- each milestone's progress is its latest report's percent (the state derived from the facts);
- each commitment's progress is the weighted mean of its milestones' progress;
- every export job the API accepted has SUCCEEDED.

    .venv/bin/python benchmarks/soak.py [--seconds 60] [--clients 20]

Prints requests, errors, p50/p99 and the checks; exits 1 when an error or a lost write is found.
Figures to report, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._pg import bench_database  # noqa: E402
from benchmarks.http_load import _free_port  # noqa: E402
from graphql_schema.view import PORTAL_QUERY  # noqa: E402

PYTHON = sys.executable
MILESTONES = """{ actionPlans(first: 5) { nodes { id commitments(first: 50) { nodes { id progress
  milestones(first: 50) { nodes { id weight status progress reports(first: 1) { totalCount nodes { percent } } } } } } } } }"""
REPORT = "mutation($m: ID!, $p: Float!) { reportProgress(input: {milestoneId: $m, percent: $p}) { milestone { progress } } }"
EXPORT = (
    "mutation($p: ID!) { exportActionPlan(input: {actionPlanId: $p, format: CSV}) { job { id } } }"
)
JOB = "query($id: ID!) { node(id: $id) { ... on Job { status } } }"
STAFF_READ = "{ actors(first: 20) { totalCount nodes { name } } jobs(first: 5) { totalCount } }"


def usina(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "usina", *args], env=env, cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=300,
    )  # fmt: skip
    return done.stdout.strip()


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "usina", *args], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def milestones_of(http: httpx.Client, url: str, staff: dict[str, str]) -> list[dict[str, Any]]:
    body = http.post(url, json={"query": MILESTONES}, headers=staff).json()
    assert "errors" not in body, body
    return [
        {"plan": plan["id"], **commitment}
        for plan in body["data"]["actionPlans"]["nodes"]
        for commitment in plan["commitments"]["nodes"]
    ]


async def client(
    url: str,
    staff: dict[str, str],
    open_milestones: list[str],
    plan: str,
    until: float,
    stats: dict[str, Any],
) -> None:
    rng = random.Random()
    async with httpx.AsyncClient(timeout=30) as http:
        while time.monotonic() < until:
            roll = rng.random()
            began = time.perf_counter()
            if roll < 0.55:
                kind = "portal"
                response = await http.get(
                    url, params={"query": PORTAL_QUERY}, headers={"X-Tenant": "demo"}
                )
            elif roll < 0.75:
                kind = "staff read"
                response = await http.post(url, json={"query": STAFF_READ}, headers=staff)
            elif roll < 0.95:
                kind = "report"
                milestone = rng.choice(open_milestones)
                variables = {"m": milestone, "p": float(rng.randint(1, 99))}
                response = await http.post(
                    url, json={"query": REPORT, "variables": variables}, headers=staff
                )
            else:
                kind = "export"
                response = await http.post(
                    url, json={"query": EXPORT, "variables": {"p": plan}}, headers=staff
                )
            stats["latencies"].append(time.perf_counter() - began)
            stats["requests"][kind] += 1
            body = response.json() if response.status_code == 200 else None
            if body is None or body.get("errors"):
                stats["errors"].append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
                continue
            if kind == "report":
                stats["accepted"][milestone] += 1
            elif kind == "export":
                stats["jobs"].append(body["data"]["exportActionPlan"]["job"]["id"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    namespace = f"usina-soak-{uuid.uuid4().hex[:8]}"
    with bench_database("usina_soak") as app_url:
        env = os.environ | {
            "USINA_DATABASE_URL": app_url,
            "USINA_WORKERS": "redis",
            "USINA_BROKER_NAMESPACE": namespace,
            "USINA_CACHE_PREFIX": namespace,
            "USINA_RESPONSE_CACHE": "redis",
            "USINA_LOG_LEVEL": "WARNING",
        }
        usina("demo", "seed", env=env)
        token = usina("tokens", "issue", "--tenant", "demo", "--role", "editor", "--subject", "soak",
                      env=env)  # fmt: skip
        staff = {"Authorization": f"Bearer {token}"}
        port = _free_port()
        url = f"http://127.0.0.1:{port}/graphql"
        server = start(["serve", "--port", str(port)], env)
        worker = start(["worker", "--threads", "4"], env)
        try:
            with httpx.Client(timeout=30) as http:
                for _ in range(200):
                    try:
                        http.get(url.replace("/graphql", "/healthz"))
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                before = milestones_of(http, url, staff)
                counts = {m["id"]: m["reports"]["totalCount"]
                          for c in before for m in c["milestones"]["nodes"]}  # fmt: skip
                open_ids = [m["id"] for c in before for m in c["milestones"]["nodes"]
                            if m["status"] != "COMPLETED"]  # fmt: skip
                plan = before[0]["plan"]
            stats: dict[str, Any] = {
                "latencies": [], "requests": Counter(), "errors": [], "accepted": Counter(),
                "jobs": [],
            }  # fmt: skip
            until = time.monotonic() + args.seconds

            async def run() -> None:
                await asyncio.gather(
                    *(client(url, staff, open_ids, plan, until, stats) for _ in range(args.clients))
                )

            began = time.monotonic()
            asyncio.run(run())
            elapsed = time.monotonic() - began
            with httpx.Client(timeout=30) as http:
                lost, wrong = check(http, url, staff, counts, stats)
        finally:
            for process in (server, worker):
                process.terminate()
                process.wait(timeout=60)
    latencies = sorted(stats["latencies"])
    total = len(latencies)
    print(f"clients {args.clients}, {elapsed:.0f} s, {total} requests ({total / elapsed:.1f}/s)")
    print("  by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["requests"].items())))
    print(f"  p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {latencies[int(total * 0.99) - 1] * 1000:.1f} ms")  # fmt: skip
    print(f"  errors {len(stats['errors'])}")
    for error in stats["errors"][:10]:
        print(f"    {error}")
    print(f"  accepted reports {sum(stats['accepted'].values())}, lost writes {len(lost)}")
    print(
        f"  export jobs {len(stats['jobs'])}, derived values that differ from the facts {len(wrong)}"
    )
    for problem in (lost + wrong)[:10]:
        print(f"    {problem}")
    return 1 if stats["errors"] or lost or wrong else 0


def check(
    http: httpx.Client, url: str, staff: dict[str, str], counts: dict[str, int], stats: Any
) -> tuple[list[str], list[str]]:
    """What was lost, and which derived values differ from the facts."""
    lost: list[str] = []
    wrong: list[str] = []
    deadline = time.monotonic() + 120
    for job in stats["jobs"]:
        while True:
            status = http.post(url, json={"query": JOB, "variables": {"id": job}},
                               headers=staff).json()["data"]["node"]["status"]  # fmt: skip
            if status in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if status != "SUCCEEDED":
            lost.append(f"export job {job}: {status}")
    for commitment in milestones_of(http, url, staff):
        milestones = commitment["milestones"]["nodes"]
        for m in milestones:
            expected = counts[m["id"]] + stats["accepted"][m["id"]]
            if m["reports"]["totalCount"] != expected:
                lost.append(f"milestone {m['id']}: {m['reports']['totalCount']} reports, "
                            f"{expected} accepted")  # fmt: skip
            latest = m["reports"]["nodes"][0]["percent"] if m["reports"]["nodes"] else 0.0
            if abs(m["progress"] - latest) > 1e-9:
                wrong.append(f"milestone {m['id']}: progress {m['progress']}, latest {latest}")
        weight = sum(m["weight"] for m in milestones)
        if weight:
            mean = sum(m["weight"] * m["progress"] for m in milestones) / weight
            if abs(commitment["progress"] - round(mean, 2)) > 0.01:
                wrong.append(f"commitment {commitment['id']}: {commitment['progress']} vs {mean}")
    return lost, wrong


if __name__ == "__main__":
    raise SystemExit(main())
