"""Sending one e-mail delivery over SMTP (the settings' server)."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from core.notifications import smtp
from core.notifications.models import Delivery
from core.settings import Settings
from core.text import header_value, printable

#: Long header values (a ``List-Unsubscribe`` URL) stay whole: folded, a URL without spaces
#: would be turned into encoded words that mail clients do not read as a link.
POLICY = SMTP.clone(max_line_length=998)


def send_email(settings: Settings, delivery: Delivery) -> None:
    message = EmailMessage(policy=POLICY)
    message["From"] = settings.smtp_from
    message["To"] = delivery.recipient
    message["Subject"] = header_value(delivery.payload["subject"])
    # A stable Message-ID: a receiver can recognise a re-sent copy.
    message["Message-ID"] = f"<{delivery.id}@usina>"
    for name, value in delivery.payload.get("headers", {}).items():
        message[name] = value
    message.set_content(printable(delivery.payload["text"]))
    smtp.send(settings, message)
