"""The weekly portfolio digest (issue 17): each consultant gets one e-mail, through the staff's
outbox and a real SMTP server (aiosmtpd), about the municipalities granted to them and nothing
else, in their municipalities' language; once per week; retried when the server refuses."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select

from core.identity import service as identity
from core.portfolio import digest
from core.portfolio.models import StaffDelivery, StaffDeliveryStatus
from core.progress import service as progress
from core.settings import Settings
from plugins.portfolio import refresh
from tenants.database import Database
from tests.factories import BUILTIN_ISSUER, REGISTRY, SYSTEM, add_overdue_milestone, build_tenant
from tests.identity.oidc import free_port
from tests.workers.conftest import Mailbox


async def test_each_consultant_gets_their_municipalities_news_and_nothing_else(
    db: Database, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    overdue, completed, elsewhere = (
        await build_tenant(db, "dg-a"),
        await build_tenant(db, "dg-b"),
        await build_tenant(db, "dg-c"),
    )
    for late in (overdue, elsewhere):
        await add_overdue_milestone(db, late)
    async with db.session(completed.binding) as session:
        await progress.report(
            session, SYSTEM, progress.ReportData(milestone_id=completed.milestone_id, percent=100)
        )
    mine, theirs = f"ana-{uuid.uuid4().hex[:8]}", f"beto-{uuid.uuid4().hex[:8]}"
    for tenant, subject in ((overdue, mine), (completed, mine), (elsewhere, theirs)):
        async with db.session(tenant.binding) as session:
            await identity.grant_consultant(
                session, SYSTEM, tenant.municipality.id, issuer=BUILTIN_ISSUER, subject=subject,
                email=f"{subject}@consultora.example",
            )  # fmt: skip
        await refresh(db, REGISTRY, tenant.binding)
    today = datetime.now(UTC).date()
    async with db.session(None) as session:
        assert await digest.queue(session, today) >= 2
    async with db.session(None) as session:
        assert await digest.queue(session, today) == 0  # once a week
    settings = Settings(smtp_port=port, smtp_from="Usina <usina@test.example>")
    sent, given_up = await digest.send_pending(lambda: db.session(None), settings)
    assert sent >= 2 and given_up == 0

    def to(subject: str) -> list[str]:
        return [
            str(m.get_payload(decode=True).decode())
            for m in mailbox.messages
            if m["To"] == f"{subject}@consultora.example"
        ]

    (body,) = to(mine)
    assert overdue.slug in body and completed.slug in body
    assert elsewhere.slug not in body  # not granted to her
    assert "1 hito demorado" in body and "(s)" not in body  # Spanish, singular
    assert "en los 2 municipios que acompaña" in body
    assert "completados esta semana: Hito" in body
    (other,) = to(theirs)
    assert elsewhere.slug in other and overdue.slug not in other
    # Sent once: a second run finds nothing due.
    assert await digest.send_pending(lambda: db.session(None), settings) == (0, 0)


async def test_a_refused_digest_is_retried_later_and_given_up_after_five_tries(
    db: Database,
) -> None:
    tenant = await build_tenant(db, "dg-r")
    await add_overdue_milestone(db, tenant)
    subject = f"carla-{uuid.uuid4().hex[:8]}"
    async with db.session(tenant.binding) as session:
        await identity.grant_consultant(
            session, SYSTEM, tenant.municipality.id, issuer=BUILTIN_ISSUER, subject=subject,
            email=f"{subject}@consultora.example",
        )  # fmt: skip
    await refresh(db, REGISTRY, tenant.binding)
    today = date.today()
    async with db.session(None) as session:
        await digest.queue(session, today)
    nobody = Settings(smtp_port=free_port(), smtp_from="Usina <usina@test.example>")
    now = datetime.now(UTC)
    for attempt in range(1, digest.MAX_ATTEMPTS + 1):
        await digest.send_pending(lambda: db.session(None), nobody, now=now)
        async with db.session(None) as session:
            row = (
                await session.execute(
                    select(StaffDelivery).where(
                        StaffDelivery.recipient == f"{subject}@consultora.example"
                    )
                )
            ).scalar_one()
        assert row.attempts == attempt and row.last_error
        if attempt < digest.MAX_ATTEMPTS:
            assert row.status is StaffDeliveryStatus.PENDING
            assert row.next_attempt_at > now  # backoff: not before its time
            now = row.next_attempt_at
        else:
            assert row.status is StaffDeliveryStatus.FAILED
