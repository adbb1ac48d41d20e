"""Calling one webhook: only public destinations (SSRF), signed over timestamp and body."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time

import httpx

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


async def check_destination(settings: Settings, url: str) -> None:
    """Refuse (SSRF) URLs whose host resolves to a loopback, private, link-local, reserved or
    multicast address, unless the platform allows it. Checked at every delivery, since DNS
    can change after registration."""
    if settings.webhook_allow_private_networks:
        return
    host = httpx.URL(url).host
    infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global or address.is_multicast:
            raise ForbiddenDestination(f"{host} resolves to a non-public address ({address})")


async def post_webhook(settings: Settings, delivery: Delivery, secret: str) -> None:
    await check_destination(settings, delivery.recipient)
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
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as http:
        response = await http.post(delivery.recipient, content=body, headers=headers)
    status = response.status_code
    if 400 <= status < 500 and status not in TRANSIENT_CLIENT_ERRORS:
        raise Refused(f"the receiver refused the delivery: HTTP {status}")
    if not 200 <= status < 300:
        raise RuntimeError(f"the receiver answered HTTP {status}")
