"""A participant's notification preferences: where notices of their contributions go, and
whether they want them."""

from __future__ import annotations

from enum import Enum

import strawberry

from core.identity.roles import Permission
from core.notifications import participants
from core.notifications.models import ParticipantContact
from graphql_schema.context import Info
from graphql_schema.permissions import requires


@strawberry.enum(description="Where the address notices go to comes from.")
class EmailSource(Enum):
    IDENTITY = "IDENTITY"
    GIVEN = "GIVEN"


@strawberry.type(
    description="How the signed-in participant hears back about their contributions (the "
    "answer to a proposal they made or supported)."
)
class NotificationPreferences:
    notify: bool = strawberry.field(
        description="Whether notices are sent (on by default; every e-mail has a link to "
        "switch them off)."
    )
    email: str | None = strawberry.field(description="Where notices go; none: no address yet.")
    email_source: EmailSource | None
    pending_email: str | None = strawberry.field(
        description="An address given and awaiting confirmation through the link sent to it."
    )


def _preferences(contact: ParticipantContact | None) -> NotificationPreferences:
    if contact is None:
        return NotificationPreferences(
            notify=True, email=None, email_source=None, pending_email=None
        )
    source = None
    if contact.email:
        source = EmailSource.GIVEN
    elif contact.identity_email:
        source = EmailSource.IDENTITY
    return NotificationPreferences(
        notify=contact.notify,
        email=contact.address,
        email_source=source,
        pending_email=contact.pending_email,
    )


@strawberry.input
class SetNotificationPreferencesInput:
    notify: bool | None = strawberry.field(default=None, description="Omitted: unchanged.")
    email: str | None = strawberry.field(
        default=None,
        description="An address to send notices to (confirmed through a link sent to it); "
        '"" forgets the one given, so the identity\'s applies; omitted: unchanged.',
    )


@strawberry.type
class NotificationPreferencesPayload:
    notification_preferences: NotificationPreferences


PARTICIPANTS = [requires(Permission.PARTICIPATE)]


@strawberry.type
class NotificationPreferencesQueries:
    @strawberry.field(
        description="The signed-in participant's own notification preferences.",
        permission_classes=PARTICIPANTS,
    )
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        context = info.context
        context.tenant()
        async with context.db_lock:
            contact = await participants.contact_of(context.session, context.principal.subject)
        return _preferences(contact)


@strawberry.type
class NotificationPreferencesMutations:
    @strawberry.mutation(
        description="Switch notices of one's contributions on or off, and give the address "
        "they go to.",
        permission_classes=PARTICIPANTS,
    )
    async def set_notification_preferences(
        self, info: Info, input: SetNotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        context = info.context
        sender = context.sender()
        async with context.transaction() as session:
            contact = await participants.set_preferences(
                session, context.principal, sender, notify=input.notify, email=input.email
            )
        return NotificationPreferencesPayload(notification_preferences=_preferences(contact))
