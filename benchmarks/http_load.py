"""The portal query over real HTTP: ``usina serve`` (uvicorn) on loopback, loaded by ``wrk``.

Three servers on the same seeded PostgreSQL database (10 commitments x 5 milestones, the
restricted role), each a uvicorn process of its own:

- ``graphql``: ``usina serve``, the portal query uncached (``USINA_RESPONSE_CACHE=off``);
- ``hand_written``: the hand-written Starlette endpoint of ``portal_query.py`` (same SQL, same
  JSON);
- ``ceiling``: a Starlette endpoint answering that JSON precomputed.

Before loading them, the script checks that the hand-written endpoint answers the GraphQL
answer's data. ``wrk`` (Debian's package ``wrk``: ``apt-get install wrk``) then loads each in
turn and the script prints requests per second and the p50 and p99 latencies.

    .venv/bin/python benchmarks/http_load.py [--seconds 10] [--connections 8] [--threads 1]

Figures to report, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._pg import bench_database  # noqa: E402
from benchmarks.portal_query import SLUG, ceiling_app, hand_written_app, seed  # noqa: E402
from core.settings import Settings  # noqa: E402
from graphql_schema.view import PORTAL_QUERY  # noqa: E402
from tenants.database import Database  # noqa: E402

PYTHON = sys.executable


def hand_written() -> Any:
    """uvicorn factory: the hand-written endpoint on ``USINA_DATABASE_URL``."""
    return hand_written_app(Database.from_settings(Settings()))


def ceiling() -> Any:
    """uvicorn factory: the precomputed answer in ``USINA_BENCH_BODY`` (a file)."""
    return ceiling_app(Path(os.environ["USINA_BENCH_BODY"]).read_bytes())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None:
                    raise SystemExit(
                        process.stderr.read().decode() if process.stderr else ""
                    ) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def server_env(url: str) -> dict[str, str]:
    """``usina serve``'s environment for a benchmark: the database at ``url``, every request
    executed (no response cache), no rate limit, no embedded worker, quiet logs."""
    return os.environ | {
        "USINA_DATABASE_URL": url,
        "USINA_RESPONSE_CACHE": "off",
        "USINA_EMBEDDED_WORKER": "false",
        "USINA_RATE_LIMIT": "false",
        "USINA_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _uvicorn(factory: str, port: int) -> list[str]:
    return [
        PYTHON, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def load(url: str, body: str, seconds: float, connections: int, threads: int) -> dict[str, float]:
    """``wrk`` POSTing ``body`` to ``url``; req/s, p50 and p99 (ms). Any non-2xx fails."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body)}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["X-Tenant"] = "{SLUG}"\n'
        )
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
             "-s", script.name, url],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    if "Non-2xx" in out:
        raise SystemExit(f"{url} answered errors under load:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\n\s+50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\n\s+99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return {"rate": rate, "p50": p50, "p99": p99}


def main(seconds: float, connections: int, threads: int) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian's package)")
    with bench_database(f"usina_http_{os.getpid()}") as url:
        db = Database.from_settings(Settings(database_url=url))  # the deployed pool
        asyncio.run(_seed_and_dispose(db))
        env = server_env(url)
        payload = json.dumps({"query": PORTAL_QUERY})
        ports = [_free_port() for _ in range(3)]
        graphql_command = [PYTHON, "-m", "usina", "serve", "--port", str(ports[0])]
        with serving(graphql_command, env, ports[0]) as graphql:
            expected = httpx.post(
                f"{graphql}/graphql", content=payload, headers=_headers(), timeout=30
            ).json()
            assert "errors" not in expected, expected
            results = {
                "graphql": load(f"{graphql}/graphql", payload, seconds, connections, threads)
            }
        with serving(
            _uvicorn("benchmarks.http_load:hand_written", ports[1]), env, ports[1]
        ) as hand:
            got = httpx.post(f"{hand}/portal", content="{}", headers=_headers(), timeout=30).json()
            if got["data"] != expected["data"]:
                raise SystemExit("the hand-written endpoint does not return the same JSON")
            results["hand_written"] = load(f"{hand}/portal", "{}", seconds, connections, threads)
        with tempfile.NamedTemporaryFile("wb", delete=False) as body:
            body.write(json.dumps(expected).encode())
        try:
            with serving(
                _uvicorn("benchmarks.http_load:ceiling", ports[2]),
                env | {"USINA_BENCH_BODY": body.name},
                ports[2],
            ) as top:
                results["ceiling"] = load(f"{top}/portal", "{}", seconds, connections, threads)
        finally:
            os.unlink(body.name)
    print(
        f"portal query over HTTP (uvicorn, loopback), PostgreSQL, 10 commitments x 5 milestones, "
        f"wrk -t{threads} -c{connections}, {seconds:g}s each"
    )
    print(f"  {'':<13} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    for name, figures in results.items():
        print(f"  {name:<13} {figures['rate']:9.1f} {figures['p50']:9.2f} {figures['p99']:9.2f}")
    print(
        f"  graphql / hand_written = {results['graphql']['rate'] / results['hand_written']['rate']:.2f}"
    )
    print(
        f"  graphql / ceiling      = {results['graphql']['rate'] / results['ceiling']['rate']:.3f}"
    )


def _headers() -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Tenant": SLUG}


async def _seed_and_dispose(db: Database) -> None:
    try:
        await seed(db)
    finally:
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    arguments = parser.parse_args()
    main(arguments.seconds, arguments.connections, arguments.threads)
