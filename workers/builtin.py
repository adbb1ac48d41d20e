"""The built-in jobs: scores, exports, notifications, monitoring.

Each is idempotent: database effects commit with the job's success (see ``runtime.py``);
outside effects (an e-mail, a webhook call) go through a delivery row that is sent once and
marked sent, so a duplicate message finds it sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import smtplib
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select

from core.commitments.models import Commitment
from core.diagnostics import service as diagnostics
from core.enums import ActionPlanStatus, MilestoneStatus
from core.evaluation import service as evaluations
from core.evaluation.models import Evaluation
from core.exports import plan as exports
from core.identity.roles import Role
from core.jobs.kinds import DELAYS, DELIVER, DIGEST, EXPORT, RECOMPUTE
from core.jobs.models import ExportFile
from core.milestones.models import Milestone
from core.notifications import service as notifications
from core.notifications.models import Delivery, DeliveryChannel, DeliveryStatus, WebhookEndpoint
from core.plans.models import ActionPlan
from core.progress import rollup
from core.settings import Settings
from plugins.derivation import deriver
from plugins.manager import PluginRegistry
from plugins.records import JobContext, JobSpec

ACTIVE_PLANS = (ActionPlanStatus.PUBLISHED, ActionPlanStatus.IMPLEMENTATION)


def _uuid(args: Mapping[str, Any], key: str) -> uuid.UUID | None:
    value = args.get(key)
    return uuid.UUID(str(value)) if value else None


# -- scores -------------------------------------------------------------------------------


def recompute(registry: PluginRegistry) -> JobSpec:
    async def run(ctx: JobContext) -> dict[str, Any]:
        plan_id = _uuid(ctx.args, "plan_id")

        def derive_for(evaluation: Evaluation) -> evaluations.Derive | None:
            found = registry.framework(evaluation.framework)
            return deriver(found[1]) if found else None

        def instrument_for(name: str) -> Any:
            found = registry.instrument(name)
            return found[1] if found else None

        rederived = await evaluations.rederive_drafts(ctx.session, derive_for, plan_id)
        rescored = 0 if plan_id else await diagnostics.rescore_open(ctx.session, instrument_for)
        plans = select(ActionPlan.id)
        if plan_id:
            plans = plans.where(ActionPlan.id == plan_id)
        ids = list((await ctx.session.execute(plans)).scalars())
        progress = await rollup.progress_by_plan(ctx.session, ids) if ids else {}
        return {
            "evaluationsRederived": rederived,
            "assessmentsRescored": rescored,
            "planProgress": {str(k): round(v, 2) for k, v in progress.items()},
        }

    return JobSpec(name=RECOMPUTE, run=run, max_attempts=3, time_limit_seconds=300)


# -- exports ------------------------------------------------------------------------------


async def export_plan(ctx: JobContext) -> dict[str, Any]:
    plan_id = _uuid(ctx.args, "plan_id")
    fmt = str(ctx.args.get("format", "csv")).lower()
    if plan_id is None or fmt not in exports.BUILDERS:
        raise ValueError(f"bad export arguments: {dict(ctx.args)}")
    data = await exports.load(ctx.session, ctx.municipality, plan_id)
    content = exports.BUILDERS[fmt](data)
    row = ExportFile(
        job_id=ctx.job_id,
        filename=exports.filename(data, fmt),
        media_type=exports.MEDIA_TYPES[fmt],
        content=content,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    return {"fileId": str(row.id), "filename": row.filename, "bytes": len(content)}


# -- notifications ------------------------------------------------------------------------


def send_email(settings: Settings, delivery: Delivery) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = delivery.recipient
    message["Subject"] = delivery.payload["subject"]
    # A stable Message-ID: a receiver can recognise a re-sent copy.
    message["Message-ID"] = f"<{delivery.id}@usina>"
    message.set_content(delivery.payload["text"])
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


class ForbiddenDestination(RuntimeError):
    """A webhook URL that resolves into a network the platform keeps to itself."""


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
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"the receiver answered HTTP {response.status_code}")


async def _locked_delivery(ctx: JobContext) -> Delivery | None:
    delivery_id = _uuid(ctx.args, "delivery_id")
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


# -- monitoring ---------------------------------------------------------------------------


async def monitor_delays(ctx: JobContext) -> dict[str, Any]:
    """Milestones past their end date and not finished: tell the municipality's editors,
    once per milestone and end date."""
    today = date.fromisoformat(str(ctx.args["date"]))
    rows = await ctx.session.execute(
        select(Milestone, Commitment, ActionPlan)
        .join(
            Commitment,
            (Commitment.tenant_id == Milestone.tenant_id)
            & (Commitment.id == Milestone.commitment_id),
        )
        .join(
            ActionPlan,
            (ActionPlan.tenant_id == Commitment.tenant_id) & (ActionPlan.id == Commitment.plan_id),
        )
        .where(
            ActionPlan.status.in_(ACTIVE_PLANS),
            Milestone.end_date < today,
            Milestone.status.not_in([MilestoneStatus.COMPLETED, MilestoneStatus.CANCELLED]),
        )
        .order_by(Milestone.end_date, Milestone.id)
    )
    delayed = list(rows.all())
    editors = await notifications.member_emails(ctx.session, [Role.EDITOR])
    sent = 0
    for milestone, commitment, plan in delayed:
        for email in editors:
            queued = await notifications.queue_email(
                ctx.session,
                template="milestone.delayed",
                locale=ctx.municipality.locale.value,
                recipient=email,
                values={
                    "municipality": ctx.municipality.name,
                    "milestone": milestone.title,
                    "commitment": commitment.title,
                    "commitment_code": commitment.code,
                    "plan": plan.title,
                    "end_date": milestone.end_date.isoformat(),
                    "percent": f"{milestone.progress:g}",
                },
                dedupe_key=f"delayed:{milestone.id}:{milestone.end_date}:{email}",
            )
            sent += queued is not None
    return {"delayedMilestones": len(delayed), "emailsQueued": sent}


async def weekly_digest(ctx: JobContext) -> dict[str, Any]:
    """Each active plan's week, to the municipality's admins (once per plan, week, admin)."""
    week = str(ctx.args["week"])
    today = date.fromisoformat(str(ctx.args.get("date") or datetime.now(UTC).date()))
    plans = list(
        (
            await ctx.session.execute(
                select(ActionPlan)
                .where(ActionPlan.status.in_(ACTIVE_PLANS))
                .order_by(ActionPlan.start_date)
            )
        ).scalars()
    )
    admins = await notifications.member_emails(ctx.session, [Role.TENANT_ADMIN])
    progress = await rollup.progress_by_plan(ctx.session, [p.id for p in plans]) if plans else {}
    queued_count = 0
    for plan in plans:
        commitments = list(
            (
                await ctx.session.execute(
                    select(Commitment)
                    .where(Commitment.plan_id == plan.id)
                    .order_by(Commitment.code)
                )
            ).scalars()
        )
        by_commitment = (
            await rollup.progress_by_commitment(ctx.session, [c.id for c in commitments])
            if commitments
            else {}
        )
        milestones = list(
            (
                await ctx.session.execute(
                    select(Milestone).where(
                        Milestone.commitment_id.in_([c.id for c in commitments])
                    )
                )
            ).scalars()
        )
        completed = sum(m.status is MilestoneStatus.COMPLETED for m in milestones)
        delayed = sum(
            m.end_date < today
            and m.status not in (MilestoneStatus.COMPLETED, MilestoneStatus.CANCELLED)
            for m in milestones
        )
        lines = "\n".join(
            f"  {c.code} {c.title}: {by_commitment.get(c.id, 0.0):.0f} %" for c in commitments
        )
        for email in admins:
            queued = await notifications.queue_email(
                ctx.session,
                template="plan.digest",
                locale=ctx.municipality.locale.value,
                recipient=email,
                values={
                    "municipality": ctx.municipality.name,
                    "plan": plan.title,
                    "week": week,
                    "progress": f"{progress.get(plan.id, 0.0):.0f}",
                    "commitments": len(commitments),
                    "completed": completed,
                    "milestones": len(milestones),
                    "delayed": delayed,
                    "lines": lines,
                },
                dedupe_key=f"digest:{plan.id}:{week}:{email}",
            )
            queued_count += queued is not None
    return {"plans": len(plans), "emailsQueued": queued_count}


def builtin_specs(registry: PluginRegistry) -> list[JobSpec]:
    return [
        recompute(registry),
        JobSpec(name=EXPORT, run=export_plan, max_attempts=3, time_limit_seconds=300),
        JobSpec(
            name=DELIVER,
            run=deliver,
            on_failure=delivery_failed,
            max_attempts=6,
            time_limit_seconds=60,
            min_backoff_seconds=5,
            max_backoff_seconds=3600,
        ),
        JobSpec(name=DELAYS, run=monitor_delays, max_attempts=3, time_limit_seconds=600),
        JobSpec(name=DIGEST, run=weekly_digest, max_attempts=3, time_limit_seconds=600),
    ]


def all_specs(registry: PluginRegistry) -> dict[str, JobSpec]:
    specs = {spec.name: spec for spec in builtin_specs(registry)}
    for name, (_, spec) in registry.jobs.items():
        if name in specs:
            raise ValueError(f"a plugin's job {name!r} is named like a built-in one")
        specs[name] = spec
    return specs
