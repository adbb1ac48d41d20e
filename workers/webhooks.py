"""Calling one webhook: only public destinations (SSRF), signed over timestamp and body."""

from __future__ import annotations

import json
import time

from core.egress import Egress, EgressRefused
from core.notifications import service as notifications
from core.notifications.models import Delivery
from core.settings import Settings
from workers.runtime import PermanentError


class ForbiddenDestination(PermanentError):
    """A webhook URL that resolves into a network the platform keeps to itself."""


class Refused(PermanentError):
    """The receiver refused the request itself (a 4xx other than a timeout or a rate limit):
    sending the same request again gets the same answer."""


#: Client errors that are worth retrying: a timeout, "too early", a rate limit.
TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})


async def post_webhook(settings: Settings, delivery: Delivery, secret: str) -> None:
    """One delivery through the egress guard (``core/egress.py``): the receiver's host is
    resolved and checked at every delivery (DNS can change after registration), and the
    call connects to the address that was checked."""
    body = json.dumps({"id": str(delivery.id), **delivery.payload}, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Usina-Webhooks/1",
        "Usina-Event": delivery.event_type,
        "Usina-Delivery": str(delivery.id),
        "Usina-Timestamp": timestamp,
        notifications.SIGNATURE_HEADER: notifications.sign(secret, timestamp, body),
    }
    egress = Egress.from_settings(settings, timeout=settings.webhook_timeout_seconds)
    try:
        response = await egress.request("POST", delivery.recipient, content=body, headers=headers)
    except EgressRefused as refused:
        raise ForbiddenDestination(str(refused)) from None
    finally:
        await egress.close()
    status = response.status_code
    if 400 <= status < 500 and status not in TRANSIENT_CLIENT_ERRORS:
        raise Refused(f"the receiver refused the delivery: HTTP {status}")
    if not 200 <= status < 300:
        raise RuntimeError(f"the receiver answered HTTP {status}")
