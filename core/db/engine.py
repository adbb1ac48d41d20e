"""Engines for the embedded default (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

import socket
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.errors import ServiceUnavailable
from core.i18n import msg

#: A pooled PostgreSQL connection that sat idle longer than this is pinged before it is handed
#: out. One back in use sooner is only checked locally: asyncpg notices on its own a socket the
#: server closed (a restart, ``pg_terminate_backend``), and a ping costs three round trips
#: (``BEGIN``, ``;``, ``ROLLBACK``), more than the statements of a short job or read.
PING_AFTER_IDLE_SECONDS = 2.0
_IDLE_SINCE = "usina_idle_since"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys enforced and WAL for concurrent readers."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(url, echo=echo, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine.sync_engine, "checkin", _idle_from_now)
        event.listen(engine.sync_engine, "checkout", _check_alive)
    return engine


def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _check_alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling, cheap when the pool is busy: a connection found dead
    is replaced by a fresh one (``DisconnectionError`` makes the pool retry the checkout)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return  # new, or back in use straight away
    try:
        dbapi_connection.ping()
    except Exception as error:
        raise DisconnectionError("a pooled connection did not answer a ping") from error


#: Errors that mean "no connection": refused, reset, unresolvable, or none left in the pool.
UNREACHABLE = (ConnectionError, socket.gaierror, DisconnectionError, PoolTimeout)


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached now: refused
    or dropped connections, a pool that could not hand one out, a server shutting down. Such a
    request is answered ``SERVICE_UNAVAILABLE`` (HTTP 503), not as a bug."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__module__.startswith("redis"):
            return False  # Redis, not the database: see core/outage.py
        if isinstance(current, UNREACHABLE):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if type(current).__module__.startswith("asyncpg") and type(current).__name__ in (
            "CannotConnectNowError",
            "ConnectionDoesNotExistError",
            "ConnectionFailureError",
            "AdminShutdownError",
            "CrashShutdownError",
            "InterfaceError",
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        msg(
            "The database cannot be reached right now; nothing was changed. Try again shortly.",
            "La base de datos no responde en este momento; no se cambió nada. Reintente en "
            "unos instantes.",
            "O banco de dados não responde neste momento; nada foi alterado. Tente de novo em "
            "instantes.",
        )
    )
