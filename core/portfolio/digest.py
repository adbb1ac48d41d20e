"""The weekly portfolio digest: one e-mail per consultant, about the municipalities granted to
them — which have overdue milestones, which have been silent (no progress report for two weeks
or more), which completed milestones this week — from the same summaries as the portfolio.

Written to the staff's outbox (``staff_deliveries``) once per person and ISO week, in the
language most of their municipalities speak (Spanish on a tie), and sent by the periodic run
(``send_pending``), retried with backoff and given up after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Message, msg
from core.identity.models import Person
from core.identity.roles import Role
from core.notifications import smtp
from core.portfolio import service as portfolio
from core.portfolio.models import StaffDelivery, StaffDeliveryStatus
from core.settings import Settings
from core.text import header_value, printable
from core.words import Plural

OVERDUE = Plural(
    msg("{n} overdue milestone", "{n} hito demorado", "{n} marco atrasado"),
    msg("{n} overdue milestones", "{n} hitos demorados", "{n} marcos atrasados"),
)
SILENT = Plural(
    msg(
        "no progress report for {n} day",
        "sin reportes de avance hace {n} día",
        "sem relatórios de avanço há {n} dia",
    ),
    msg(
        "no progress report for {n} days",
        "sin reportes de avance hace {n} días",
        "sem relatórios de avanço há {n} dias",
    ),
)
OPENING = Plural(
    msg(
        "Hello,\n\nWhat needs attention this week in the municipality you accompany:",
        "Hola:\n\nLo que requiere atención esta semana en el municipio que acompaña:",
        "Olá,\n\nO que requer atenção esta semana no município que acompanha:",
    ),
    msg(
        "Hello,\n\nWhat needs attention this week in the {n} municipalities you accompany:",
        "Hola:\n\nLo que requiere atención esta semana en los {n} municipios que acompaña:",
        "Olá,\n\nO que requer atenção esta semana nos {n} municípios que acompanha:",
    ),
)
#: No progress report for this long makes a municipality "silent".
SILENT_DAYS = 14
MAX_ATTEMPTS = 5


def _line(row: Any, summary: Any, today: date, week_start: date) -> Message | None:
    """The municipality's news for the week in the three languages, or ``None``: nothing to say."""
    if summary is None:
        return None
    delayed = portfolio.delayed_count(summary, today)
    silent = portfolio.days_since(summary.last_report_at, today)
    completed = [
        title
        for _, title, at in summary.completed_milestones
        if at is not None and datetime.fromisoformat(at).date() >= week_start
    ]
    parts = []
    if delayed:
        parts.append(OVERDUE.message(delayed))
    if silent is None or silent >= SILENT_DAYS:
        parts.append(
            msg("no progress report yet", "sin reportes de avance", "sem relatórios de avanço")
            if silent is None
            else SILENT.message(silent)
        )
    if completed:
        titles = "; ".join(completed)
        parts.append(
            msg(
                f"completed this week: {titles}",
                f"completados esta semana: {titles}",
                f"concluídos esta semana: {titles}",
            )
        )
    if not parts:
        return None
    head = f"- {row.name} ({row.slug}): "
    return Message(
        en=head + ", ".join(p.en for p in parts),
        es=head + ", ".join(p.es for p in parts),
        pt=head + ", ".join(p.pt for p in parts),
    )


def compose(rows: list[tuple[Any, Any]], locale: str, today: date) -> tuple[str, str] | None:
    """The digest's subject and text in ``locale``, or ``None`` when no municipality has news."""
    week_start = today - timedelta(days=7)
    news = [line for line in (_line(r, s, today, week_start) for r, s in rows) if line]
    if not news:
        return None
    lines = [line.text(locale) for line in news]
    week = f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    subject = msg(
        f"Usina: your municipalities, week {week}",
        f"Usina: sus municipios, semana {week}",
        f"Usina: os seus municípios, semana {week}",
    )
    opening = OPENING.message(len(rows))
    closing = msg(
        "The whole portfolio is in Usina (the portfolio query, or /portfolio.xlsx).",
        "La cartera completa está en Usina (la consulta portfolio, o /portfolio.xlsx).",
        "A carteira completa está no Usina (a consulta portfolio, ou /portfolio.xlsx).",
    )
    body = opening.text(locale) + "\n\n" + "\n".join(lines) + "\n\n" + closing.text(locale)
    return subject.text(locale), body + "\n"


def _language(rows: list[tuple[Any, Any]]) -> str:
    counts = Counter(row.locale.value for row, _ in rows)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0] != "es", item[0]))
    return ranked[0][0] if ranked else "es"


async def queue(session: AsyncSession, today: date) -> int:
    """This week's digest for every consultant with an e-mail, unless already queued; how
    many were queued now."""
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    consultants = (
        await session.execute(
            select(Person).where(Person.staff_role == Role.CONSULTANT, Person.email.is_not(None))
        )
    ).scalars()
    queued = 0
    for person in list(consultants):
        key = f"portfolio-digest:{person.id}:{week}"
        found = await session.scalar(
            select(StaffDelivery.id).where(StaffDelivery.dedupe_key == key)
        )
        if found is not None or person.email is None:
            continue
        rows = await portfolio.summaries(session, (person.issuer, person.subject or ""))
        locale = _language(rows)
        composed = compose(rows, locale, today)
        if composed is None:
            continue
        subject, text = composed
        session.add(
            StaffDelivery(
                person_id=person.id,
                recipient=person.email,
                locale=locale,
                dedupe_key=key,
                subject=subject,
                text=text,
            )
        )
        queued += 1
    return queued


def _send(settings: Settings, delivery: StaffDelivery) -> None:
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.smtp_from
    message["To"] = delivery.recipient
    message["Subject"] = header_value(delivery.subject)
    message["Message-ID"] = f"<{delivery.id}@usina>"  # a re-sent copy is recognisable
    message.set_content(printable(delivery.text))
    smtp.send(settings, message)


async def send_pending(
    session_of: Callable[[], Any], settings: Settings, now: datetime | None = None
) -> tuple[int, int]:
    """Send the staff's e-mails that are due; ``(sent, failed for good)``. Each is marked in its
    own transaction right after its attempt, so a crash never sends one twice in a row."""
    now = now or datetime.now(UTC)
    async with session_of() as session:
        due = list(
            (
                await session.execute(
                    select(StaffDelivery.id).where(
                        StaffDelivery.status == StaffDeliveryStatus.PENDING,
                        StaffDelivery.next_attempt_at <= now,
                    )
                )
            ).scalars()
        )
    sent = failed = 0
    for delivery_id in due:
        async with session_of() as session:
            delivery = await session.get(StaffDelivery, delivery_id)
            if delivery is None or delivery.status is not StaffDeliveryStatus.PENDING:
                continue
            try:
                await asyncio.to_thread(_send, settings, delivery)
            except (OSError, smtplib.SMTPException) as error:
                delivery.attempts += 1
                delivery.last_error = f"{type(error).__name__}: {error}"[:1000]
                if delivery.attempts >= MAX_ATTEMPTS:
                    delivery.status = StaffDeliveryStatus.FAILED
                    failed += 1
                else:  # 2, 4, 8, 16 minutes
                    delivery.next_attempt_at = now + timedelta(minutes=2**delivery.attempts)
                continue
            delivery.status = StaffDeliveryStatus.SENT
            delivery.attempts += 1
            delivery.sent_at = datetime.now(UTC)
            sent += 1
    return sent, failed
