"""``notifications.deliver``: one outbox row (an e-mail or a webhook call), sent once.

A delivery is locked, sent and marked sent in the job's transaction, so a duplicate message
finds it sent; a final failure counts against its webhook endpoint, which is switched off after
``DISABLE_AFTER`` failures in a row.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core.notifications import service as notifications
from core.notifications.models import Delivery, DeliveryChannel, DeliveryStatus, WebhookEndpoint
from plugins.records import JobContext
from workers.mail import send_email
from workers.webhooks import post_webhook


async def _locked_delivery(ctx: JobContext) -> Delivery | None:
    delivery_id = ctx.uuid_arg("delivery_id")
    result = await ctx.session.execute(
        select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def deliver(ctx: JobContext) -> dict[str, Any]:
    delivery = await _locked_delivery(ctx)
    if delivery is None:
        return {"status": "gone"}
    if delivery.status is DeliveryStatus.SENT:
        return {"status": "already sent"}
    if delivery.status is DeliveryStatus.FAILED:
        return {"status": "failed earlier"}
    delivery.attempts = ctx.attempt
    if delivery.channel is DeliveryChannel.EMAIL:
        await asyncio.to_thread(send_email, ctx.settings, delivery)
    else:
        endpoint = await ctx.session.get(
            WebhookEndpoint, (ctx.municipality.id, delivery.endpoint_id)
        )
        if endpoint is None or not endpoint.enabled:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "the endpoint was disabled"
            return {"status": "endpoint disabled"}
        await post_webhook(ctx.settings, delivery, endpoint.secret)
        endpoint.consecutive_failures = 0
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = datetime.now(UTC)
    delivery.last_error = None
    return {"status": "sent", "channel": delivery.channel.value, "to": delivery.recipient}


async def delivery_failed(ctx: JobContext, error: BaseException, final: bool) -> None:
    delivery = await _locked_delivery(ctx)
    if delivery is None or delivery.status is DeliveryStatus.SENT:
        return
    delivery.attempts = ctx.attempt
    delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
    if not final:
        return
    delivery.status = DeliveryStatus.FAILED
    if delivery.endpoint_id is not None:
        result = await ctx.session.execute(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id == delivery.endpoint_id)
            .with_for_update()
        )
        endpoint = result.scalar_one_or_none()
        if endpoint is not None:
            endpoint.consecutive_failures += 1
            if endpoint.consecutive_failures >= notifications.DISABLE_AFTER and endpoint.enabled:
                endpoint.enabled = False
                endpoint.disabled_at = datetime.now(UTC)
