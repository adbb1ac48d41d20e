"""Fail loudly when CI is set and PostgreSQL or Redis is unreachable.

Run by `make test` before pytest, so a green run never hides skipped integration tests.
Outside CI it only warns: the PostgreSQL tests are then skipped and say so.
"""

from __future__ import annotations

import os
import socket
import sys


def services() -> dict[str, tuple[str, int]]:
    """Where the suite finds PostgreSQL and Redis (``tests/services.py`` may have pointed it
    at throwaway ones)."""
    return {
        "PostgreSQL": (
            os.environ.get("USINA_TEST_PG_HOST", "127.0.0.1"),
            int(os.environ.get("USINA_TEST_PG_PORT", "5432")),
        ),
        "Redis": (
            os.environ.get("USINA_TEST_REDIS_HOST", "127.0.0.1"),
            int(os.environ.get("USINA_TEST_REDIS_PORT", "6379")),
        ),
    }


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    missing = [
        f"{name} ({host}:{port})"
        for name, (host, port) in services().items()
        if not reachable(host, port)
    ]
    if not missing:
        return 0
    message = "unreachable: " + ", ".join(missing)
    if os.environ.get("CI"):
        print(
            f"error: {message}. CI runs the integration tests against the real services; "
            "start them (see docs/development.md).",
            file=sys.stderr,
        )
        return 1
    print(f"warning: {message}; their integration tests will be skipped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
