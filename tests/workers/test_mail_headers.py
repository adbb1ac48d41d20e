"""A header built from what people wrote can always be sent: a proposal title with a CR/LF
(or a lone surrogate) in an e-mail's subject is sent as one line, never a delivery that fails
for good."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.notifications.models import Delivery
from core.settings import Settings
from tests.workers.conftest import Mailbox
from workers.mail import send_email


@pytest.mark.parametrize(
    "subject",
    ["Respuesta a: Luces\r\nBcc: victim@example.org", "Nueva\npropuesta", "Título \ud800 roto"],
)
def test_a_subject_with_line_breaks_is_sent_on_one_line(
    smtp: tuple[Mailbox, int], subject: str
) -> None:
    mailbox, port = smtp
    mailbox.clear()
    delivery: Any = Delivery(
        id=uuid.uuid4(),
        channel="email",
        recipient="vecina@example.org",
        event_type="contribution.answered",
        payload={"subject": subject, "text": "Hola \ud800"},
    )
    send_email(Settings(smtp_port=port, smtp_from="Usina <usina@test.example>"), delivery)
    (message,) = mailbox.messages
    sent = str(message["Subject"])
    assert "\n" not in sent and "\r" not in sent
    assert message["Bcc"] is None  # no header smuggled in
    assert message["To"] == "vecina@example.org"
