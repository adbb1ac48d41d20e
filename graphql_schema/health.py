"""Readiness checks and the job queue's depth (for ``/readyz`` and ``/metrics``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import redis.asyncio as aioredis
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
