"""Participants hear back, end to end: addresses from the identity or given and confirmed,
opting out, the answer to a proposal e-mailed to its author and supporters through the outbox,
with a worker restarted in between; a real SMTP server (aiosmtpd), the real Redis, PostgreSQL
(as the restricted role) and SQLite."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from email.message import Message
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.identity import service as identity
from core.identity.principal import SYSTEM
from core.identity.roles import Role
from core.identity.tokens import TokenService
from core.notifications.models import Delivery, DeliveryStatus, ParticipantContact
from core.settings import Settings
from graphql_schema.app import create_app
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.factories import Tenant, World, error_codes, gql
from tests.workers.conftest import Mailbox, Receiver
from workers.broker import Jobs

pytestmark = pytest.mark.redis

SUPPORT = (
    "mutation($c: ID!, $p: ID!) { contribute(input: {channelId: $c, kind: SUPPORT, "
    "parentId: $p}) { contribution { id } } }"
)
PREFERENCES = (
    "mutation($n: Boolean, $e: String) { setNotificationPreferences(input: {notify: $n, "
    "email: $e}) { notificationPreferences { notify email emailSource pendingEmail } } }"
)
MINE = "{ notificationPreferences { notify email emailSource pendingEmail } }"
RESPOND = (
    "mutation($id: ID!, $c: ID!) { respondToContribution(input: {id: $id, outcome: ACCEPTED, "
    'response: "La incorporamos al compromiso de datos abiertos.", commitmentIds: [$c]}) '
    "{ contribution { outcome } } }"
)


@pytest.fixture
def sender(worker_settings: Settings, clean_redis: None) -> Iterator[Jobs]:
    """What the API sends jobs through; no worker of its own (workers come and go below)."""
    jobs = Jobs.create(worker_settings, make_plugin_manager())
    yield jobs
    jobs.close()


@pytest.fixture
async def api(db: Database, sender: Jobs) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(sender.runtime.settings, db=db, jobs=sender)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await app.state.oidc.close()


def start_worker(settings: Settings) -> Jobs:
    worker = Jobs.create(settings, make_plugin_manager())
    worker.start_worker(threads=1)
    return worker


async def eventually(check: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def link_in(message: Message, path: str) -> str:
    found = re.search(rf"http://testserver({re.escape(path)}\S+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def person(tokens: TokenService, tenant: Tenant, subject: str, email: str | None = None) -> str:
    extra = {"email": email} if email else {}
    return tokens.issue(subject=subject, role="participant", tenant=tenant.slug, extra=extra)


async def ok(http: httpx.AsyncClient, document: str, variables: Any, token: str) -> Any:
    result = await gql(http, document, variables, token=token)
    assert error_codes(result) == [], result
    return result["data"]


async def deliveries(db: Database, tenant: Tenant, template: str) -> list[Delivery]:
    async with db.session(tenant.binding) as session:
        rows = await session.execute(
            select(Delivery).where(Delivery.event_type == template).order_by(Delivery.recipient)
        )
        return list(rows.scalars())


async def test_the_author_and_supporters_hear_of_the_answer_unless_they_opted_out(
    api: httpx.AsyncClient,
    db: Database,
    world: World,
    tokens: TokenService,
    worker_settings: Settings,
    outside: tuple[Mailbox, Receiver],
) -> None:
    mailbox, _ = outside
    a = world.a
    proposal = {"c": a.gid("Channel"), "p": a.gid("Contribution")}
    author = person(tokens, a, "vecina-a", "vecina@a.example")
    ana = person(tokens, a, "ana", "ana@a.example")  # her identity vouches for an address
    tomas = person(tokens, a, "tomas")  # none: he gives one
    lucia = person(tokens, a, "lucia", "lucia@a.example")  # she opts out
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)

    first = start_worker(worker_settings)
    try:
        mine = await ok(api, PREFERENCES, {"n": True}, author)
        assert mine["setNotificationPreferences"]["notificationPreferences"] == {
            "notify": True,
            "email": "vecina@a.example",
            "emailSource": "IDENTITY",
            "pendingEmail": None,
        }
        await ok(api, SUPPORT, proposal, ana)
        assert (await ok(api, MINE, {}, ana))["notificationPreferences"]["email"] == (
            "ana@a.example"
        )

        given = await ok(api, PREFERENCES, {"e": "tomas@a.example"}, tomas)
        assert given["setNotificationPreferences"]["notificationPreferences"] == {
            "notify": True,
            "email": None,  # nothing goes to a given address before it is confirmed
            "emailSource": None,
            "pendingEmail": "tomas@a.example",
        }
        await eventually(lambda: any(m["To"] == "tomas@a.example" for m in mailbox.messages))
        confirmation = next(m for m in mailbox.messages if m["To"] == "tomas@a.example")
        assert "Confirme su correo" in str(confirmation["Subject"])
        confirm = link_in(confirmation, "/notifications/confirm/")
        page = await api.get(confirm)  # opening the link changes nothing (mail scanners)
        assert page.status_code == 200 and '<form method="post">' in page.text
        assert (await ok(api, MINE, {}, tomas))["notificationPreferences"]["email"] is None
        assert (await api.post(confirm)).status_code == 200
        assert (await ok(api, MINE, {}, tomas))["notificationPreferences"] == {
            "notify": True,
            "email": "tomas@a.example",
            "emailSource": "GIVEN",
            "pendingEmail": None,
        }
        assert (await api.post(confirm)).status_code == 404  # a link confirms once
        await ok(api, SUPPORT, proposal, tomas)

        await ok(api, SUPPORT, proposal, lucia)
        await ok(api, PREFERENCES, {"n": False}, lucia)
    finally:
        first.close()  # the worker stops: the answer comes while none runs
    mailbox.clear()

    await ok(api, RESPOND, {"id": a.gid("Contribution"), "c": a.gid("Commitment")}, editor)
    queued = await deliveries(db, a, "proposal.answered")
    assert [(d.recipient, d.status) for d in queued] == [
        ("ana@a.example", DeliveryStatus.PENDING),
        ("tomas@a.example", DeliveryStatus.PENDING),
        ("vecina@a.example", DeliveryStatus.PENDING),
    ]
    await asyncio.sleep(0.5)
    assert mailbox.messages == []

    second = start_worker(worker_settings)  # the restarted worker finds them in the outbox
    try:
        await eventually(lambda: len(mailbox.messages) >= 3)
        await asyncio.sleep(0.5)  # nothing more arrives
    finally:
        second.close()
    assert sorted(m["To"] for m in mailbox.messages) == [
        "ana@a.example",
        "tomas@a.example",
        "vecina@a.example",
    ]
    assert all(
        d.status is DeliveryStatus.SENT for d in await deliveries(db, a, "proposal.answered")
    )
    by_to = {m["To"]: m for m in mailbox.messages}
    for message in mailbox.messages:  # in the municipality's language (Spanish)
        assert str(message["Subject"]).startswith(f"[{a.municipality.name}] Su propuesta")
        body = text_of(message)
        assert "La incorporamos al compromiso de datos abiertos." in body
        assert "Fue aceptada y forma parte de estos compromisos" in body
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "que usted presentó" in text_of(by_to["vecina@a.example"])
    assert "que usted apoyó" in text_of(by_to["ana@a.example"])

    # Ana follows the link in her e-mail: no more notices, without signing in.
    unsubscribe = link_in(by_to["ana@a.example"], "/notifications/unsubscribe/")
    assert by_to["ana@a.example"]["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    page = await api.get(unsubscribe)
    assert page.status_code == 200 and "Dejar de recibirlos" in page.text
    assert (await ok(api, MINE, {}, ana))["notificationPreferences"]["notify"] is True
    done = await api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no recibirá más avisos" in done.text
    assert (await ok(api, MINE, {}, ana))["notificationPreferences"]["notify"] is False


async def test_preferences_and_links_stay_in_their_municipality(
    api: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    """The same subject in A and B has two sets of preferences; A's link does nothing in B."""
    a, b = world.a, world.b
    in_a = person(tokens, a, "misma", "misma@a.example")
    in_b = person(tokens, b, "misma", "misma@b.example")
    await ok(api, PREFERENCES, {"n": False}, in_a)
    assert (await ok(api, MINE, {}, in_b))["notificationPreferences"] == {
        "notify": True,
        "email": None,
        "emailSource": None,
        "pendingEmail": None,
    }
    async with db.session(a.binding) as session:
        contact = (await session.execute(select(ParticipantContact))).scalar_one()
    foreign = await api.post(
        f"/notifications/unsubscribe/{b.slug}/{contact.unsubscribe_token}",
        headers={"Accept": "application/json"},
    )
    assert foreign.status_code == 404
    assert foreign.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    unknown = await api.get("/notifications/unsubscribe/no-such-town/x")
    assert unknown.status_code == 404 and 'data-code="TENANT_UNKNOWN"' in unknown.text


async def test_bad_preferences_are_refused_and_change_nothing(
    api: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a = world.a
    async with db.session(a.binding) as session:
        client = await identity.create_client(
            session, SYSTEM, a.slug, name="Kiosco", role=Role.PARTICIPANT, scopes=["write"]
        )
    as_client = tokens.issue_for_client(
        client_id=client.row.client_id, tenant=a.slug, scopes=["write"]
    )
    for token, variables, field in (
        (person(tokens, a, "ana"), {"e": "not-an-address"}, "email"),
        (as_client, {"n": True}, "principal"),  # an API client is no participant
    ):
        result = await gql(api, PREFERENCES, variables, token=token)
        assert error_codes(result) == ["BAD_USER_INPUT"], result
        assert result["errors"][0]["extensions"]["field"] == field
    async with db.session(a.binding) as session:
        assert (await session.execute(select(ParticipantContact))).first() is None
