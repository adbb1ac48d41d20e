"""Throwaway PostgreSQL and Redis servers on free loopback ports, for the fault tests and for
``make test`` on a machine where none is running (``tests/services.py``). They keep their
files in a directory of their own and leave nothing behind when stopped."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian's layout), if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


class ThrowawayPostgres:
    """A private PostgreSQL cluster in ``home``, run as the ``postgres`` OS user (initdb
    refuses root), trusting local connections."""

    def __init__(self, home: Path, binaries: Path | None = None) -> None:
        self.home = home
        self.data = home / "data"
        self.port = free_port()
        found = binaries or postgres_bin()
        if found is None:
            raise RuntimeError("PostgreSQL is not installed (initdb not found)")
        self.bin = found

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def init(self) -> None:
        shutil.chown(self.home, "postgres")
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def start(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.home / "log"),
            "-o", f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip

    def create_database(self, name: str) -> None:
        self._as_postgres(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
            "postgres", name,
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


class ThrowawayRedis:
    """A private Redis on a free port, keeping nothing on disk."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.home),
             "--logfile", str(self.home / "redis.log"), "--pidfile", str(self.home / "pid")],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        for _ in range(50):
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError("the throwaway Redis did not start")

    def ping(self) -> bool:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip() == "PONG"

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
            timeout=10,
        )
        for _ in range(50):
            if not self.ping():
                return
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
