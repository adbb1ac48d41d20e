"""Registering webhooks, and writing deliveries (the outbox) with their ``deliver`` jobs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.audit import service as audit
from core.audit.models import AuditEvent
from core.errors import BadUserInput
from core.i18n import msg
from core.identity.models import Membership, Person
from core.identity.principal import SYSTEM, Principal
from core.identity.roles import Role
from core.jobs import service as jobs
from core.jobs.kinds import DELIVER
from core.notifications import payloads
from core.notifications.models import (
    Delivery,
    DeliveryChannel,
    ParticipantContact,
    WebhookEndpoint,
)
from core.notifications.templates import render

#: A webhook endpoint is switched off after this many deliveries failed in a row.
DISABLE_AFTER = 5
SIGNATURE_HEADER = "Usina-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``timestamp.body``: the timestamp is signed too, so a captured
    delivery cannot be replayed later with a fresh timestamp."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def endpoint_snapshot(row: WebhookEndpoint) -> dict[str, Any]:
    data = audit.snapshot(row)
    data.pop("secret", None)
    return data


async def register_webhook(
    session: AsyncSession, by: Principal, url: str, events: Sequence[str]
) -> tuple[WebhookEndpoint, str]:
    checked = v.url("url", url)
    if checked is None:
        raise BadUserInput(
            msg("A URL is needed.", "Se necesita una URL.", "É preciso uma URL."), field="url"
        )
    names = [v.text("events", e, max_length=100) for e in events]
    secret = secrets.token_urlsafe(32)
    row = WebhookEndpoint(url=checked, secret=secret, events=names, created_by=by.subject)
    session.add(row)
    await session.flush()
    audit.record(session, by, "webhook.register", row, after=endpoint_snapshot(row))
    return row, secret


async def remove_webhook(
    session: AsyncSession, by: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    """Switch it off for good (its deliveries stay, as the record of what was sent)."""
    row = await lookups.get(session, WebhookEndpoint, endpoint_id, field="id")
    before = endpoint_snapshot(row)
    row.enabled = False
    await session.flush()
    audit.record(session, by, "webhook.remove", row, before=before, after=endpoint_snapshot(row))
    return row


async def _deliver(session: AsyncSession, delivery: Delivery) -> Delivery:
    await jobs.enqueue(
        session,
        SYSTEM,
        DELIVER,
        {"delivery_id": str(delivery.id)},
        idempotency_key=f"deliver:{delivery.id}",
    )
    return delivery


async def _new_delivery(session: AsyncSession, **fields: Any) -> Delivery | None:
    """The delivery for ``dedupe_key``, created once; ``None`` when it already exists."""
    found = await session.execute(
        select(Delivery.id).where(Delivery.dedupe_key == fields["dedupe_key"])
    )
    if found.first() is not None:
        return None
    row = Delivery(**fields)
    session.add(row)
    await session.flush()
    return row


async def queue_webhooks(
    session: AsyncSession, events: Sequence[AuditEvent], municipality: str
) -> int:
    """One delivery per (enabled endpoint that wants it, event), in the change's own
    transaction. Returns how many."""
    if not events:
        return 0
    endpoints = list(
        (await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.enabled))).scalars()
    )
    if not endpoints:
        return 0
    count = 0
    for event in events:
        for endpoint in endpoints:
            if endpoint.events and event.action not in endpoint.events:
                continue
            body = payloads.webhook_body(event, municipality)
            row = await _new_delivery(
                session,
                channel=DeliveryChannel.WEBHOOK,
                dedupe_key=f"webhook:{endpoint.id}:{event.id}",
                event_type=event.action,
                recipient=endpoint.url,
                endpoint_id=endpoint.id,
                payload=body,
            )
            if row is not None:
                await _deliver(session, row)
                count += 1
    return count


async def queue_email(
    session: AsyncSession,
    *,
    template: str,
    locale: str,
    recipient: str,
    values: dict[str, object],
    dedupe_key: str,
    headers: dict[str, str] | None = None,
) -> Delivery | None:
    """One e-mail in the outbox (once per ``dedupe_key``), rendered now in ``locale``;
    ``headers`` are added to the message (``List-Unsubscribe``)."""
    subject, body = render(template, locale, values)
    payload: dict[str, Any] = {"subject": subject, "text": body}
    if headers:
        payload["headers"] = headers
    row = await _new_delivery(
        session,
        channel=DeliveryChannel.EMAIL,
        dedupe_key=dedupe_key,
        event_type=template,
        recipient=recipient,
        payload=payload,
    )
    if row is not None:
        await _deliver(session, row)
    return row


async def member_emails(session: AsyncSession, roles: Sequence[Role]) -> list[str]:
    """E-mail addresses of the bound municipality's people with one of ``roles``: members
    (their address from the invitation or from their identity provider's claims at sign-in),
    and those the municipality's identity provider gives the role by its mapping."""
    members = await session.execute(
        select(Person.email)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.role.in_(list(roles)), Person.email.is_not(None))
    )
    mapped = await session.execute(
        select(ParticipantContact.identity_email).where(
            ParticipantContact.provider_role.in_(list(roles)),
            ParticipantContact.identity_email.is_not(None),
        )
    )
    found = {email.lower(): email for email in [*members.scalars(), *mapped.scalars()] if email}
    return sorted(found.values())
