"""``usina serve --workers N``: several processes serve one port, and one ``/metrics`` (the
supervising process's) adds up what all of them served; stopping the server stops them all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.graphql.conftest import _free_port, seeded


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.add(int(entry.name))
    return found


def served(metrics: str) -> float:
    """``usina_http_requests_total`` of ``/graphql`` answered 200, over every process."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("usina_http_requests_total{") and 'route="/graphql"' in line:
            total += float(line.rsplit(" ", 1)[1]) if 'status="200"' in line else 0.0
    return total


def test_two_processes_serve_one_port_and_one_metrics_listener_counts_both(
    tmp_path: Path,
) -> None:
    env = seeded(tmp_path) | {"USINA_EMBEDDED_WORKER": "false"}
    port, metrics_port = _free_port(), _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "usina", "serve", "--port", str(port), "--workers", "2",
         "--metrics-port", str(metrics_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        # The serving processes (multiprocessing's spawned children; not its resource tracker).
        workers = {
            pid
            for pid in children_of(server.pid)
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        }
        assert len(workers) == 2, children_of(server.pid)
        query = {"query": "{ municipality { name } }"}
        with httpx.Client(base_url=base, headers={"X-Tenant": "demo"}) as client:
            for _ in range(30):
                with httpx.Client(base_url=base, headers={"X-Tenant": "demo"}) as fresh:
                    answer = fresh.post("/graphql", json=query)  # a new connection each time
                    assert answer.json()["data"]["municipality"]["name"] == "Villa Usina (demo)"
            assert client.get("/metrics").status_code == 404  # not on the API's port
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert served(metrics) >= 30, re.findall(r"usina_http_requests_total\{[^\n]*", metrics)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    time.sleep(0.5)
    assert children_of(server.pid) == set()
