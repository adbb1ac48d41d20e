"""One municipality's hostile traffic against another's latency: ``usina serve`` on PostgreSQL.

Municipality B's portal query (uncached: ``USINA_RESPONSE_CACHE=off``, so every request
executes) is timed while the server is quiet, then while four anonymous fragment bombs and
four 1 MB documents hit municipality A without pause, in one run. Then each kind of hostile
document is sent alone and the server's CPU time per refusal is read from ``/proc``.

Prints B's p50 and p99 quiet and under attack and their ratios, and the CPU per refusal.
Goal (issue 32): B's p50 ratio at most 1.5, every bomb refused in under 50 ms of CPU.

    .venv/bin/python benchmarks/noisy_neighbour.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._pg import bench_database  # noqa: E402
from benchmarks.http_load import PYTHON, _free_port, server_env, serving  # noqa: E402
from benchmarks.portal_query import SLUG, seed  # noqa: E402
from core.identity.principal import SYSTEM  # noqa: E402
from core.municipalities.service import MunicipalityData  # noqa: E402
from core.settings import Settings  # noqa: E402
from graphql_schema.view import PORTAL_QUERY  # noqa: E402
from tenants.database import Database  # noqa: E402
from tenants.provisioning import create_municipality  # noqa: E402
from tenants.unit_of_work import UnitOfWork  # noqa: E402

NOISY = "noisy"
#: 20 levels of fragments, each spreading the next twice: 2^21 fields once expanded, 1.4 KB.
BOMB = (
    "query{...F0} "
    + " ".join(
        f"fragment F{i} on Query{{a:__typename ...F{i + 1} b:__typename ...F{i + 1}}}"
        for i in range(20)
    )
    + " fragment F20 on Query{__typename}"
)
#: A document of 1 MB (a query and a megabyte of comment), within the body limit.
LARGE = "{ __typename }\n#" + "x" * 1_000_000


async def _prepare(url: str) -> None:
    db = Database.from_settings(Settings(database_url=url))
    try:
        await seed(db)
        await create_municipality(
            UnitOfWork(db), SYSTEM, MunicipalityData(slug=NOISY, name="Noisy", country="AR")
        )
    finally:
        await db.dispose()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _time_b(http: httpx.AsyncClient, url: str, seconds: float) -> list[float]:
    """B's query, two clients back to back, for ``seconds``: each request's latency in ms."""
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def client() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            answer = await http.post(url, json={"query": PORTAL_QUERY}, headers={"X-Tenant": SLUG})
            latencies.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200 and "errors" not in answer.json(), answer.text

    await asyncio.gather(client(), client())
    return latencies


async def _attack(http: httpx.AsyncClient, url: str, document: str, stop: float) -> int:
    refused = 0
    body = json.dumps({"query": document}).encode()  # encoded once: the client's CPU is spared
    headers = {"X-Tenant": NOISY, "Content-Type": "application/json"}
    while time.monotonic() < stop:
        answer = await http.post(url, content=body, headers=headers)
        codes = [e["extensions"]["code"] for e in answer.json().get("errors", [])]
        assert codes == ["QUERY_TOO_COMPLEX"], answer.text[:300]
        refused += 1
    return refused


async def _attackers(url: str, seconds: float, only: str) -> int:
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        stop = time.monotonic() + seconds
        documents = {"bombs": [BOMB] * 4, "large": [LARGE] * 4}.get(only, [BOMB] * 4 + [LARGE] * 4)
        attacks = [_attack(http, url, document, stop) for document in documents]
        return sum(await asyncio.gather(*attacks))


def _attack_process(url: str, seconds: float, only: str, refused: Any) -> None:
    refused.value = asyncio.run(_attackers(url, seconds, only))


async def _measure(url: str, seconds: float, pid: int, only: str) -> None:
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await _time_b(http, url, 1.0)  # warm up
        quiet = await _time_b(http, url, seconds)
        # The attackers in a process of their own: B's timings are not delayed by their
        # client work on this event loop.
        refused = multiprocessing.Value("i", 0)
        attack = multiprocessing.Process(target=_attack_process, args=(url, seconds, only, refused))
        attack.start()
        await asyncio.sleep(0.3)  # under way
        noisy = await _time_b(http, url, seconds - 0.6)
        await asyncio.to_thread(attack.join)
        refusals = refused.value
        cpu: dict[str, float] = {}
        for name, document in (("fragment bomb", BOMB), ("1 MB document", LARGE)):
            before, count = _cpu_seconds(pid), 50
            for _ in range(count):
                await http.post(url, json={"query": document}, headers={"X-Tenant": NOISY})
            cpu[name] = (_cpu_seconds(pid) - before) / count * 1000
    quiet_p50, quiet_p99 = statistics.median(quiet), _percentile(quiet, 0.99)
    noisy_p50, noisy_p99 = statistics.median(noisy), _percentile(noisy, 0.99)
    print("municipality B's portal query (uncached), PostgreSQL, usina serve, one process")
    print(f"  {'':<38} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {'quiet':<38} {len(quiet):8d} {quiet_p50:8.2f} {quiet_p99:8.2f}")
    attack = {"bombs": "4 bombs", "large": "4 x 1 MB documents"}.get(
        only, "4 bombs + 4 x 1 MB documents"
    )
    print(f"  {'A under ' + attack:<38} {len(noisy):8d} {noisy_p50:8.2f} {noisy_p99:8.2f}")
    print(f"  p50 ratio {noisy_p50 / quiet_p50:.2f}, p99 ratio {noisy_p99 / quiet_p99:.2f}")
    print(f"  hostile documents refused during the attack: {refusals}")
    for name, milliseconds in cpu.items():
        print(f"  server CPU per refused {name}: {milliseconds:.2f} ms")


def main(seconds: float, only: str) -> None:
    with bench_database(f"usina_noisy_{os.getpid()}") as url:
        asyncio.run(_prepare(url))
        env = server_env(url)
        port = _free_port()
        command = [PYTHON, "-m", "usina", "serve", "--port", str(port)]
        with serving(command, env, port) as base:
            pid = _server_pid(port)
            asyncio.run(_measure(f"{base}/graphql", seconds, pid, only))


def _server_pid(port: int) -> int:
    """The process listening on ``port`` (the server ``serving`` started)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                inode = parts[9]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
        except OSError:
            continue
    raise SystemExit(f"no process listens on port {port}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--only", choices=["bombs", "large"], default="", help="one kind of attacker alone"
    )
    arguments = parser.parse_args()
    main(arguments.seconds, arguments.only)
