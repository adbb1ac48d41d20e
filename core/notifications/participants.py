"""Participants hearing back: their address and consent, and the notice e-mailed (through the
outbox) to a proposal's author and supporters when it gets its reasoned response.

An address comes from the participant's identity (a provider's verified e-mail claim), or
from the participant, who confirms it through a link sent to it before anything else goes
there. Every e-mail carries a link that switches notices off without signing in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core import validation as v
from core.audit import service as audit
from core.commitments.links import CommitmentContribution
from core.commitments.models import Commitment
from core.enums import ContributionKind, Moderation, ResponseOutcome
from core.errors import BadUserInput, NotFound
from core.i18n import msg
from core.identity.principal import Principal
from core.identity.roles import Role
from core.notifications import service as notifications
from core.notifications.models import ParticipantContact
from core.participation.models import Channel, Contribution
from core.plans.models import ActionPlan

UNSUBSCRIBE_PATH = "/notifications/unsubscribe/"
CONFIRM_PATH = "/notifications/confirm/"


@dataclass(frozen=True)
class Sender:
    """What a notice needs of where it is sent from: the municipality and the link base."""

    slug: str
    name: str
    locale: str
    link_base: str

    def link(self, path: str, token: str) -> str:
        return f"{self.link_base}{path}{quote(self.slug)}/{quote(token)}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_person(by: Principal) -> None:
    if by.is_anonymous or by.client_id is not None:
        raise BadUserInput(
            msg(
                "Notification preferences belong to a signed-in person, not to an API client.",
                "Las preferencias de aviso son de una persona identificada, no de un cliente "
                "de la API.",
                "As preferências de aviso são de uma pessoa identificada, não de um cliente "
                "da API.",
            ),
            field="principal",
        )


async def contact_of(session: AsyncSession, subject: str) -> ParticipantContact | None:
    result = await session.execute(
        select(ParticipantContact).where(ParticipantContact.subject == subject)
    )
    return result.scalar_one_or_none()


async def remember(session: AsyncSession, by: Principal) -> ParticipantContact | None:
    """The participant's contact, created or refreshed from what their identity vouches for
    (called when they contribute). ``None`` for API clients and the anonymous public."""
    if by.is_anonymous or by.client_id is not None:
        return None
    contact = await contact_of(session, by.subject)
    if contact is None:
        contact = ParticipantContact(
            subject=by.subject,
            identity_email=by.email,
            unsubscribe_token=secrets.token_urlsafe(24),
        )
        session.add(contact)
        await session.flush()
    elif by.email and contact.identity_email != by.email:
        contact.identity_email = by.email
        await session.flush()
    return contact


async def seen_through_provider(
    session: AsyncSession, subject: str, email: str | None, role: Role | None
) -> None:
    """Someone the municipality's identity provider vouched for has signed in: keep their
    address and the role the provider's mapping gave them (``None`` when their role comes from
    elsewhere), so staff reminders reach editors and admins who hold no membership."""
    contact = await contact_of(session, subject)
    if contact is None:
        if email is None and role is None:
            return
        contact = ParticipantContact(
            subject=subject, unsubscribe_token=secrets.token_urlsafe(24), notify=True
        )
        session.add(contact)
    if email is not None:
        contact.identity_email = email
    contact.provider_role = role
    await session.flush()


def _audit(session: AsyncSession, by: Principal, action: str, contact: ParticipantContact) -> None:
    # Never the addresses: audit events are read by staff and sent to webhooks.
    after = {
        "notify": contact.notify,
        "hasAddress": contact.address is not None,
        "awaitsConfirmation": contact.pending_email is not None,
    }
    audit.record(session, by, action, contact, after=after)


async def set_preferences(
    session: AsyncSession,
    by: Principal,
    sender: Sender,
    *,
    notify: bool | None = None,
    email: str | None = None,
) -> ParticipantContact:
    """Switch notices on or off, and give an address (``""`` forgets the one given, so the
    identity's applies). A new address gets a confirmation link and receives nothing else
    until it is followed."""
    _require_person(by)
    contact = await remember(session, by)
    assert contact is not None
    if email is not None:
        checked = v.email("email", email)
        if checked is None:
            contact.email = contact.pending_email = contact.confirm_token_hash = None
        elif checked.lower() not in {
            (contact.email or "").lower(),
            (contact.identity_email or "").lower(),
        }:
            token = secrets.token_urlsafe(24)
            contact.pending_email = checked
            contact.confirm_token_hash = _hash(token)
            await session.flush()
            await notifications.queue_email(
                session,
                template="participant.confirm_email",
                locale=sender.locale,
                recipient=checked,
                values={
                    "municipality": sender.name,
                    "confirm_url": sender.link(CONFIRM_PATH, token),
                },
                dedupe_key=f"confirm:{contact.id}:{contact.confirm_token_hash}",
            )
        else:  # an address already theirs: nothing to confirm
            if checked.lower() == (contact.identity_email or "").lower():
                contact.email = None  # the identity's address applies
            contact.pending_email = contact.confirm_token_hash = None
    if notify is not None:
        contact.notify = notify
    await session.flush()
    _audit(session, by, "participant.preferences", contact)
    return contact


async def _by_token(
    session: AsyncSession, column: InstrumentedAttribute[Any], token: str
) -> ParticipantContact:
    result = await session.execute(select(ParticipantContact).where(column == token))
    contact = result.scalar_one_or_none()
    if contact is None:
        raise NotFound(
            msg(
                "This link is not valid (it may have been replaced by a newer one).",
                "Este enlace no es válido (puede haber sido reemplazado por uno más reciente).",
                "Este link não é válido (pode ter sido substituído por um mais recente).",
            ),
            field="token",
        )
    return contact


async def confirm_email(session: AsyncSession, by: Principal, token: str) -> ParticipantContact:
    """Following the link sent to a given address makes it the participant's address."""
    contact = await _by_token(session, ParticipantContact.confirm_token_hash, _hash(token))
    contact.email = contact.pending_email
    contact.pending_email = contact.confirm_token_hash = None
    await session.flush()
    _audit(session, by, "participant.confirm_email", contact)
    return contact


async def unsubscribe(session: AsyncSession, by: Principal, token: str) -> ParticipantContact:
    """The link in every notice: no more notices to this participant."""
    contact = await _by_token(session, ParticipantContact.unsubscribe_token, token)
    if contact.notify:
        contact.notify = False
        await session.flush()
        _audit(session, by, "participant.unsubscribe", contact)
    return contact


# -- the notice of a reasoned response -----------------------------------------------------


async def _followers(session: AsyncSession, proposal: Contribution) -> list[tuple[str, str]]:
    """``(subject, relation)`` of the proposal's author and of its visible supporters."""
    supporters = await session.execute(
        select(Contribution.author_subject)
        .where(
            Contribution.parent_id == proposal.id,
            Contribution.kind == ContributionKind.SUPPORT,
            Contribution.moderation != Moderation.HIDDEN,
        )
        .order_by(Contribution.created_at, Contribution.id)
    )
    out = [(proposal.author_subject, "author")]
    out += [(s, "supporter") for s in supporters.scalars() if s != proposal.author_subject]
    return out


RELATION = {
    "es": {"author": "presentó", "supporter": "apoyó"},
    "en": {"author": "made", "supporter": "supported"},
    "pt": {"author": "apresentou", "supporter": "apoiou"},
}


def _outcome_text(
    locale: str,
    proposal: Contribution,
    commitments: Sequence[Commitment],
    merged_into: Contribution | None,
) -> str:
    if proposal.outcome is ResponseOutcome.ACCEPTED:
        listed = "\n".join(f"  - {c.code} {c.title}" for c in commitments)
        said = msg(
            f"It was accepted and is now part of these commitments of the plan:\n{listed}",
            f"Fue aceptada y forma parte de estos compromisos del plan:\n{listed}",
            f"Foi aceita e faz parte destes compromissos do plano:\n{listed}",
        )
    elif proposal.outcome is ResponseOutcome.MERGED and merged_into is not None:
        said = msg(
            f'It was merged into the proposal "{merged_into.title}".',
            f"Se integró en la propuesta «{merged_into.title}».",
            f"Foi integrada à proposta «{merged_into.title}».",
        )
    else:
        said = msg(
            "It was not taken into the plan.",
            "No fue incorporada al plan.",
            "Não foi incorporada ao plano.",
        )
    return said.text(locale)


async def notify_answered(session: AsyncSession, sender: Sender, proposal: Contribution) -> int:
    """E-mail the proposal's author and supporters (those with an address who did not opt
    out) that it was answered, once per response. Returns how many e-mails were queued."""
    assert proposal.responded_at is not None
    followers = await _followers(session, proposal)
    contacts = {
        c.subject: c
        for c in (
            await session.execute(
                select(ParticipantContact).where(
                    ParticipantContact.subject.in_([s for s, _ in followers]),
                    ParticipantContact.notify,
                )
            )
        ).scalars()
    }
    if not contacts:
        return 0
    channel = await session.get(Channel, (proposal.tenant_id, proposal.channel_id))
    plan = await session.get(ActionPlan, (proposal.tenant_id, proposal.plan_id))
    assert channel is not None and plan is not None
    commitments: list[Commitment] = []
    if proposal.outcome is ResponseOutcome.ACCEPTED:
        commitments = list(
            (
                await session.execute(
                    select(Commitment)
                    .join(
                        CommitmentContribution,
                        (CommitmentContribution.tenant_id == Commitment.tenant_id)
                        & (CommitmentContribution.commitment_id == Commitment.id),
                    )
                    .where(CommitmentContribution.contribution_id == proposal.id)
                    .order_by(Commitment.code)
                )
            ).scalars()
        )
    merged_into = (
        await session.get(Contribution, (proposal.tenant_id, proposal.merged_into_id))
        if proposal.merged_into_id
        else None
    )
    locale = sender.locale if sender.locale in RELATION else "en"
    outcome = _outcome_text(locale, proposal, commitments, merged_into)
    stamp = f"{proposal.responded_at:%Y%m%dT%H%M%S%f}"
    queued = 0
    for subject, relation in followers:
        contact = contacts.get(subject)
        if contact is None or contact.address is None:
            continue
        unsubscribe_url = sender.link(UNSUBSCRIBE_PATH, contact.unsubscribe_token)
        row = await notifications.queue_email(
            session,
            template="proposal.answered",
            locale=locale,
            recipient=contact.address,
            values={
                "municipality": sender.name,
                "proposal": proposal.title,
                "relation": RELATION[locale][relation],
                "channel": channel.title,
                "plan": plan.title,
                "outcome": outcome,
                "response": proposal.response,
                "unsubscribe_url": unsubscribe_url,
            },
            dedupe_key=f"answered:{proposal.id}:{contact.id}:{stamp}",
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        queued += row is not None
    return queued
