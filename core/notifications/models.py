"""Webhook endpoints a municipality registers, and the outbox of deliveries (e-mails and
webhook calls).

A delivery row is written in the same transaction as the change it announces; a ``deliver``
job then sends it and marks it sent. A duplicate job finds it sent and does nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped
from core.enums import db_enum
from core.identity.roles import Role


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class DeliveryChannel(StrEnum):
    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"


class WebhookEndpoint(Timestamped, TenantOwned, Base):
    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(500))
    #: The HMAC-SHA256 key (shown once at registration; needed in clear to sign).
    secret: Mapped[str] = mapped_column(String(100))
    #: Event types it wants (audit actions, e.g. ``action_plan.transition``); empty: all.
    events: Mapped[list[str]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(255))


class Delivery(Timestamped, TenantOwned, Base):
    __bookkeeping__: ClassVar[bool] = True
    __tablename__ = "deliveries"
    __table_args__ = (Index("uq_deliveries_dedupe_key", "tenant_id", "dedupe_key", unique=True),)
    __deletable__: ClassVar[bool] = False

    channel: Mapped[DeliveryChannel] = mapped_column(db_enum(DeliveryChannel, "delivery_channel"))
    #: One delivery per key, ever: a second attempt to create it is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(300))
    event_type: Mapped[str] = mapped_column(String(100))
    #: An e-mail address or a webhook URL.
    recipient: Mapped[str] = mapped_column(String(500))
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column()
    #: E-mail: subject and text; webhook: the JSON body sent.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(
        db_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column()


class ParticipantContact(Timestamped, TenantOwned, Base):
    """How a participant hears back about their contributions: the address (one they gave and
    confirmed, else the one their identity vouches for) and whether they want to.

    Notices are about the participant's own contributions (an answer to a proposal they made or
    supported), so they are on by default once an address is known; every e-mail carries an
    unsubscribe link (``unsubscribe_token``) that switches them off without signing in.
    """

    __bookkeeping__: ClassVar[bool] = True
    __tablename__ = "participant_contacts"
    __table_args__ = (
        Index("uq_participant_contacts_subject", "tenant_id", "subject", unique=True),
        Index("uq_participant_contacts_unsubscribe", "tenant_id", "unsubscribe_token", unique=True),
    )

    #: The participant, as contributions name them (``Contribution.author_subject``).
    subject: Mapped[str] = mapped_column(String(255))
    #: What their identity vouches for, refreshed whenever they contribute.
    identity_email: Mapped[str | None] = mapped_column(String(320))
    #: An address they gave and confirmed through the link sent to it.
    email: Mapped[str | None] = mapped_column(String(320))
    #: An address they gave, until they confirm it.
    pending_email: Mapped[str | None] = mapped_column(String(320))
    #: SHA-256 of the confirmation link's token (the token itself is only in the e-mail).
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64))
    notify: Mapped[bool] = mapped_column(default=True)
    unsubscribe_token: Mapped[str] = mapped_column(String(64))
    #: The municipal role the municipality's identity provider gave them when last seen, for
    #: people who hold it through the provider's role mapping rather than a membership: staff
    #: reminders reach them too. ``None`` otherwise.
    provider_role: Mapped[Role | None] = mapped_column(db_enum(Role, "contact_provider_role"))

    @property
    def address(self) -> str | None:
        """Where notices go: the confirmed address they gave, else their identity's."""
        return self.email or self.identity_email
