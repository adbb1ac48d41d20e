"""Run a command (the suite) with PostgreSQL and Redis: the machine's, or throwaway ones.

    python tests/services.py -- .venv/bin/python -m pytest ...

Where PostgreSQL answers on ``USINA_TEST_PG_HOST``:``USINA_TEST_PG_PORT`` (127.0.0.1:5432)
and Redis on ``USINA_REDIS_URL`` (redis://127.0.0.1:6379/0), as on CI, they are used as they
are. Where one does not, a throwaway one is started on a free port (Debian's ``postgresql`` or
``redis-server``, installed with apt-get when missing and run as root), the command runs with
the environment pointing at it, and it is stopped and its files removed afterwards, whatever
the command's outcome. Then ``tests/check_services.py`` has the last word: under ``CI`` a
service that could not be had fails the run rather than skipping its tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.check_services import reachable
from tests.throwaway import ThrowawayPostgres, ThrowawayRedis, postgres_bin


def say(message: str) -> None:
    print(f"services: {message}", file=sys.stderr, flush=True)


def apt_install(*packages: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    say(f"installing {' '.join(packages)} with apt-get")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        env=env,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def home_for(stack: ExitStack, prefix: str) -> Path:
    """A directory of a throwaway server's own, removed when ``stack`` closes."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    stack.callback(shutil.rmtree, home, True)
    return home


def postgres(stack: ExitStack, env: dict[str, str]) -> None:
    host = env.get("USINA_TEST_PG_HOST", "127.0.0.1")
    port = int(env.get("USINA_TEST_PG_PORT", "5432"))
    if reachable(host, port):
        return
    if postgres_bin() is None and not apt_install("postgresql"):
        say(f"no PostgreSQL on {host}:{port}, and none can be installed here")
        return
    if os.geteuid() != 0 or not shutil.which("runuser"):
        say(f"no PostgreSQL on {host}:{port}; a throwaway one needs root (runuser)")
        return
    server = ThrowawayPostgres(home_for(stack, "usina-pg-"))
    server.init()
    server.start()
    stack.callback(server.stop, "fast")
    server.create_database("test")
    env |= {"USINA_TEST_PG_HOST": "127.0.0.1", "USINA_TEST_PG_PORT": str(server.port)}
    say(f"no PostgreSQL on {host}:{port}: a throwaway one serves on 127.0.0.1:{server.port}")


def redis(stack: ExitStack, env: dict[str, str]) -> None:
    url = urlsplit(env.get("USINA_REDIS_URL", "redis://127.0.0.1:6379/0"))
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    if reachable(host, port):
        return
    if not shutil.which("redis-server") and not apt_install("redis-server"):
        say(f"no Redis on {host}:{port}, and none can be installed here")
        return
    server = ThrowawayRedis(home_for(stack, "usina-redis-"))
    server.start()
    stack.callback(server.stop)
    env |= {
        "USINA_REDIS_URL": server.url,
        "USINA_TEST_REDIS_HOST": "127.0.0.1",
        "USINA_TEST_REDIS_PORT": str(server.port),
    }
    say(f"no Redis on {host}:{port}: a throwaway one serves on 127.0.0.1:{server.port}")


def main(command: list[str]) -> int:
    env = dict(os.environ)
    with ExitStack() as stack:
        postgres(stack, env)
        redis(stack, env)
        checked = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("check_services.py"))], env=env
        )
        if checked.returncode != 0:
            return checked.returncode
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    if not arguments:
        raise SystemExit(__doc__)
    sys.exit(main(arguments))
