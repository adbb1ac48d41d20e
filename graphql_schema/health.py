"""Readiness checks and the job queue's depth (for ``/readyz`` and ``/metrics``)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from core.settings import Settings
from tenants.database import Database

TIMEOUT = 2.0


async def _database(db: Database) -> str:
    try:
        async with asyncio.timeout(TIMEOUT), db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


async def _redis(url: str) -> str:
    client = aioredis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        async with asyncio.timeout(TIMEOUT):
            await client.ping()
    except Exception as error:
        return f"error: {type(error).__name__}"
    finally:
        await client.aclose()
    return "ok"


async def check(db: Database, settings: Settings) -> dict[str, str]:
    checks = {"database": await _database(db)}
    if settings.rate_limit or settings.workers == "redis":
        checks["redis"] = await _redis(settings.redis_url)
    return checks


class QueueDepth(Collector):
    """Messages waiting in the job queue (and in its delay queue: retries waiting out their
    backoff), read from the broker at scrape time."""

    def __init__(self, jobs: Any) -> None:
        self.jobs = jobs

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "usina_job_queue_depth", "Messages waiting in the job queue.", labels=["queue"]
        )
        broker = self.jobs.broker
        for queue in ("usina", "usina.DQ"):
            try:
                family.add_metric([queue], float(_depth(broker, queue)))
            except Exception:
                continue
        yield family


def _depth(broker: Any, queue: str) -> int:
    client = getattr(broker, "client", None)
    if client is not None:  # Redis
        return int(client.llen(f"{broker.namespace}:{queue}"))
    queues = getattr(broker, "queues", {})
    return int(queues[queue].qsize()) if queue in queues else 0


class _Exposition(BaseHTTPRequestHandler):
    """``GET /metrics`` on the operational listener; nothing else."""

    expose: Callable[[], bytes]

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/metrics":
            self.send_error(404)
            return
        body = self.expose()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # scrapes are not requests worth a log line


def shared_exposition() -> bytes:
    """The metrics of every process of ``usina serve --workers N`` (Prometheus' multiprocess
    mode, ``PROMETHEUS_MULTIPROC_DIR``), added up."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def serves_shared_metrics() -> bool:
    """Whether this process is one of ``usina serve --workers N``'s (its metrics are
    exposed by the supervising process)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def serve_metrics(host: str, port: int, expose: Callable[[], bytes]) -> ThreadingHTTPServer:
    """``/metrics`` on a listener of its own (the chart's scrape port, never the Ingress's),
    in a daemon thread of the serving process, as the worker's ``--metrics-port`` does."""
    handler = type("Exposition", (_Exposition,), {"expose": staticmethod(expose)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="usina-metrics", daemon=True).start()
    return server
