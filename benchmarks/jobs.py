"""Background jobs on the real Redis and PostgreSQL (restricted role):

1. enqueue latency: creating a job row, committing, and sending its message (what a mutation
   adds to its own work), and the bare send to Redis;
2. no-op throughput of one worker process: jobs per second through the whole runtime (claim,
   run, record), with a body that does nothing;
3. scoring throughput of one worker process: ``scores.recompute`` jobs on a plan of 10
   commitments with 5 milestones each and an IRM evaluation per commitment.

    .venv/bin/python benchmarks/jobs.py [--jobs 2000] [--threads 16]

The worker runs in this process (its own event loop and consumer thread, as ``usina worker``
runs), beside the benchmark's own loop, which polls the database for the finished jobs.
Figures to report, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._pg import bench_database
from benchmarks.portal_query import SLUG, seed
from core.commitments.models import Commitment
from core.evaluation import service as evaluations
from core.identity.principal import SYSTEM
from core.jobs import service as jobs
from core.jobs.models import Job, JobStatus
from core.municipalities import service as municipalities
from core.plans.models import ActionPlan
from core.settings import Settings
from plugins.derivation import deriver
from plugins.manager import make_plugin_manager
from plugins.records import JobContext, JobSpec
from tenants.database import Database
from workers.broker import Jobs
from workers.builtin import RECOMPUTE
from workers.runtime import worker_binding

NOOP = "bench.noop"


async def noop(_: JobContext) -> None:
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def enqueue_many(
    db: Database, binding: Any, sender: Jobs, kind: str, args: dict[str, Any], n: int
) -> list[float]:
    latencies = []
    for _ in range(n):
        started = time.perf_counter()
        async with db.session(binding) as session:
            await jobs.enqueue(session, SYSTEM, kind, args)
            outgoing = jobs.take_pending(session)
        jobs.send_all(sender, outgoing)
        latencies.append(time.perf_counter() - started)
    return latencies


async def finished(db: Database, binding: Any, kind: str) -> tuple[int, datetime | None]:
    """How many ``kind`` jobs succeeded, and when the last of them did."""
    async with db.session(binding) as session:
        count, last = (
            await session.execute(
                select(func.count(), func.max(Job.finished_at)).where(
                    Job.kind == kind, Job.status == JobStatus.SUCCEEDED
                )
            )
        ).one()
        return int(count), last


async def drain(db: Database, binding: Any, kind: str, n: int, background: Jobs) -> float:
    """Jobs per second from starting the worker to the last job's success (its row's
    ``finished_at``, the worker's clock), so the polling interval does not round the figure."""
    started = datetime.now(UTC)
    background.start_worker()
    while True:  # polling the database: the jobs finish in another thread
        count, last = await finished(db, binding, kind)
        if count >= n and last is not None:
            break
        # Not more often: each poll is a query in this process, competing with the worker.
        await asyncio.sleep(0.1)
    if last.tzinfo is None:  # SQLite keeps no zone; the worker wrote UTC
        last = last.replace(tzinfo=UTC)
    return n / (last - started).total_seconds()


async def main(n: int, threads: int) -> None:
    with bench_database(f"usina_bench_jobs_{os.getpid()}") as url:
        db = Database.from_url(url)
        namespace = f"usina-bench-{os.getpid()}"
        settings = Settings(
            database_url=url, workers="redis", broker_namespace=namespace, worker_threads=threads
        )
        try:
            await seed(db)
            async with db.session(None) as session:
                municipality = await municipalities.get_by_slug(session, SLUG)
            binding = worker_binding(municipality)
            registry = make_plugin_manager(entrypoints=False)
            registry.jobs[NOOP] = ("bench", JobSpec(name=NOOP, run=noop, max_attempts=1))
            async with db.session(binding) as session:
                plan_id = (await session.execute(select(ActionPlan.id))).scalars().first()
                irm = registry.frameworks["ogp_irm"][1]
                for commitment_id in (await session.execute(select(Commitment.id))).scalars():
                    await evaluations.start(
                        session,
                        SYSTEM,
                        framework="ogp_irm",
                        version=irm.version,
                        criteria=list(irm.criteria["COMMITMENT"]),
                        derive=deriver(irm),
                        plan_id=plan_id,
                        commitment_id=commitment_id,
                    )

            client = redis.Redis.from_url(settings.redis_url)
            sends = []
            for _ in range(200):
                started = time.perf_counter()
                client.ping()
                sends.append(time.perf_counter() - started)
            background = Jobs.create(settings, registry)
            latencies = await enqueue_many(db, binding, background, NOOP, {}, n)
            noop_rate = await drain(db, binding, NOOP, n, background)
            background.close()

            scoring_n = max(100, n // 4)
            await enqueue_many(
                db, binding, background, RECOMPUTE, {"plan_id": str(plan_id)}, scoring_n
            )
            scoring_rate = await drain(db, binding, RECOMPUTE, scoring_n, background)
            background.close()

            ms = 1000
            print(f"jobs: {n} no-op, {scoring_n} scoring; worker threads: {threads}")
            print(
                "enqueue latency (row + commit + send): "
                f"p50 {statistics.median(latencies) * ms:.2f} ms, "
                f"p95 {percentile(latencies, 0.95) * ms:.2f} ms"
            )
            print(
                f"redis round trip (PING):             p50 {statistics.median(sends) * ms:.3f} ms"
            )
            print(f"no-op throughput, one worker process:   {noop_rate:.0f} jobs/s")
            print(f"scoring throughput, one worker process: {scoring_rate:.1f} jobs/s")
            for key in client.scan_iter(f"{namespace}*"):
                client.delete(key)
            client.close()
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument(
        "--threads",
        type=int,
        default=Settings.model_fields["worker_threads"].default,
        help="jobs the worker runs at once (default: USINA_WORKER_THREADS's default)",
    )
    options = parser.parse_args()
    asyncio.run(main(options.jobs, options.threads))
