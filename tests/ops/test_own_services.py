"""``make test`` on a machine where PostgreSQL and Redis are not running: ``tests/services.py``
starts throwaway ones on free ports, points the command at them, and stops them afterwards
(here with the configured ports pointed at ports nothing listens on)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.check_services import reachable
from tests.conftest import REPO
from tests.throwaway import free_port, postgres_bin

PROBE = """
import asyncio, json, os, redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
async def main():
    port = os.environ["USINA_TEST_PG_PORT"]
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test")
    async with engine.connect() as conn:
        version = (await conn.execute(text("SHOW server_version"))).scalar_one()
    await engine.dispose()
    pong = redis.Redis.from_url(os.environ["USINA_REDIS_URL"]).ping()
    print(json.dumps({"pg": int(port), "redis": os.environ["USINA_REDIS_URL"],
                      "version": version, "pong": pong}))
asyncio.run(main())
"""


def test_missing_services_are_started_for_the_run_and_stopped_after() -> None:
    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("throwaway servers need root")
    if postgres_bin() is None or not shutil.which("redis-server"):
        pytest.skip("PostgreSQL or Redis is not installed here")
    unused_pg, unused_redis = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {
        "USINA_TEST_PG_HOST": "127.0.0.1",
        "USINA_TEST_PG_PORT": str(unused_pg),
        "USINA_REDIS_URL": f"redis://127.0.0.1:{unused_redis}/0",
    }
    ran = subprocess.run(
        [sys.executable, "tests/services.py", "--", sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["pong"] is True and seen["version"]
    assert seen["pg"] != unused_pg and f":{unused_redis}/" not in seen["redis"]
    assert "a throwaway one serves" in ran.stderr
    # Stopped: nothing answers where they served.
    redis_port = int(seen["redis"].rsplit(":", 1)[1].split("/")[0])
    assert not reachable("127.0.0.1", seen["pg"])
    assert not reachable("127.0.0.1", redis_port)
