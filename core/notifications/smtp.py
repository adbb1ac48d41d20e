"""Handing one e-mail to the settings' SMTP server (STARTTLS and login when configured): what
the municipalities' deliveries (``workers/mail.py``) and the staff's digest
(``core/portfolio/digest.py``) both send through."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from core.settings import Settings


def send(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)
