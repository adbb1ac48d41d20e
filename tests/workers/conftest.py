"""Real outside services for the worker tests: an SMTP server (aiosmtpd) and an HTTP
receiver for webhooks, both on loopback; Redis is the real one."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller

from core.jobs.service import Pending
from core.settings import Settings
from tests.identity.oidc import free_port


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@dataclass
class Receiver:
    """Webhook calls received; ``status`` is what it answers."""

    port: int
    status: int = 200
    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(port=port)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.calls.append(
                {
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "json": json.loads(body),
                }
            )
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def outside(smtp: tuple[Mailbox, int], receiver: Receiver) -> Iterator[tuple[Mailbox, Receiver]]:
    smtp[0].clear()
    receiver.calls.clear()
    receiver.status = 200
    yield smtp[0], receiver


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_urls")["app"])
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture
def worker_settings(database_url: str, smtp: tuple[Mailbox, int]) -> Settings:
    return Settings(
        database_url=database_url,
        workers="redis",
        broker_namespace=f"usina-test-{uuid.uuid4().hex[:8]}",
        smtp_port=smtp[1],
        smtp_from="Usina <usina@test.example>",
        webhook_allow_private_networks=True,  # the receiver is on loopback
    )


@pytest.fixture
def clean_redis(worker_settings: Settings) -> Iterator[None]:
    yield
    client = redis.Redis.from_url(worker_settings.redis_url)
    keys = list(client.scan_iter(f"{worker_settings.broker_namespace}*"))
    if keys:
        client.delete(*keys)
    client.close()


class Recorder:
    """A dispatcher that keeps what it is asked to send (the tests deliver it themselves)."""

    def __init__(self) -> None:
        self.sent: list[Pending] = []

    def send(self, pending: Pending) -> None:
        self.sent.append(pending)
