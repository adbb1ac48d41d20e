"""Participation: open channels, take contributions, moderate them, answer them with reasons.

Which contributions a channel accepts is the channel kind's (a plugin's) business; callers pass
the kind's decision in (``participant_kinds``, ``staff_kinds``), so the core imports no plugin.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import lookups
from core import validation as v
from core.actors.models import Actor
from core.audit import service as audit
from core.commitments.links import CommitmentContribution
from core.commitments.models import Commitment
from core.db.base import utcnow
from core.enums import ChannelState, ContributionKind, Moderation, ResponseOutcome
from core.errors import BadUserInput, Conflict
from core.i18n import msg
from core.identity.principal import Principal
from core.participation.models import Channel, ChannelMember, Contribution
from core.plans import lifecycle
from core.plans.models import ActionPlan
from core.words import CONTRIBUTION_KINDS, capitalized

PARENTED = {ContributionKind.COMMENT, ContributionKind.SUPPORT, ContributionKind.VOTE}


@dataclass(frozen=True)
class ChannelData:
    plan_id: uuid.UUID
    kind: str
    title: str
    opens_at: datetime
    closes_at: datetime
    description: str = ""
    rules: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContributionData:
    channel_id: uuid.UUID
    kind: ContributionKind
    parent_id: uuid.UUID | None = None
    title: str = ""
    body: str = ""
    author_name: str = ""
    data: dict[str, Any] = field(default_factory=dict)


async def open_channel(session: AsyncSession, by: Principal, data: ChannelData) -> Channel:
    plan = await lookups.get(session, ActionPlan, data.plan_id, field="actionPlanId")
    lifecycle.require_editable(plan)
    if data.closes_at <= data.opens_at:
        raise BadUserInput(
            msg(
                "The channel closes before it opens.",
                "El canal cierra antes de abrir.",
                "O canal fecha antes de abrir.",
            ),
            field="closesAt",
        )
    channel = Channel(
        plan_id=plan.id,
        kind=data.kind,
        title=v.text("title", data.title, max_length=300),
        description=v.text("description", data.description, max_length=20_000, required=False),
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        rules=data.rules,
        created_by=by.subject,
    )
    session.add(channel)
    await session.flush()
    audit.record(session, by, "channel.open", channel)
    return channel


def is_open(channel: Channel, now: datetime) -> bool:
    return channel.opens_at <= now < channel.closes_at


def state(channel: Channel, now: datetime) -> ChannelState:
    if now < channel.opens_at:
        return ChannelState.UPCOMING
    return ChannelState.OPEN if now < channel.closes_at else ChannelState.CLOSED


def days_open(channel: Channel, until: datetime) -> int:
    """Whole days the channel has taken contributions before ``until`` (a plan's publication,
    or now): its window as it really was, closing early by hand included."""
    end = min(channel.closes_at, until)
    return max(0, (end - channel.opens_at).days)


async def update_channel(
    session: AsyncSession,
    by: Principal,
    channel_id: uuid.UUID,
    *,
    title: str | None = None,
    description: str | None = None,
    rules: dict[str, Any] | None = None,
    opens_at: datetime | None = None,
    now: datetime | None = None,
) -> Channel:
    """Edit a channel's texts and rules; its opening date only while it has not opened."""
    now = now or utcnow()
    channel = await _editable_channel(session, channel_id)
    before = audit.snapshot(channel)
    if title is not None:
        channel.title = v.text("title", title, max_length=300)
    if description is not None:
        channel.description = v.text("description", description, max_length=20_000, required=False)
    if rules is not None:
        channel.rules = rules
    if opens_at is not None and opens_at != channel.opens_at:
        if state(channel, now) is not ChannelState.UPCOMING:
            raise Conflict(
                msg(
                    "The channel has opened: its opening date can no longer change.",
                    "El canal ya abrió: su fecha de apertura ya no puede cambiar.",
                    "O canal já abriu: a sua data de abertura não pode mais mudar.",
                ),
                field="opensAt",
            )
        if opens_at >= channel.closes_at:
            raise BadUserInput(
                msg(
                    "The channel closes before it opens.",
                    "El canal cierra antes de abrir.",
                    "O canal fecha antes de abrir.",
                ),
                field="opensAt",
            )
        channel.opens_at = opens_at
    await session.flush()
    audit.record(session, by, "channel.update", channel, before=before)
    return channel


async def extend_channel(
    session: AsyncSession,
    by: Principal,
    channel_id: uuid.UUID,
    closes_at: datetime,
    *,
    now: datetime | None = None,
) -> Channel:
    """Push a channel's closing date later, while it has not closed (a closed channel is not
    reopened: open a new one, so the record of when each took contributions stays true)."""
    now = now or utcnow()
    channel = await _editable_channel(session, channel_id)
    if state(channel, now) is ChannelState.CLOSED:
        raise Conflict(
            msg(
                f"The channel closed on {channel.closes_at:%Y-%m-%d}; open a new one instead.",
                f"El canal cerró el {channel.closes_at:%Y-%m-%d}; abra uno nuevo.",
                f"O canal fechou em {channel.closes_at:%Y-%m-%d}; abra um novo.",
            ),
            field="id",
        )
    if closes_at <= channel.closes_at:
        raise BadUserInput(
            msg(
                f"Extend past the current closing date ({channel.closes_at:%Y-%m-%d %H:%M}).",
                f"Extienda más allá del cierre actual ({channel.closes_at:%Y-%m-%d %H:%M}).",
                f"Estenda além do fechamento atual ({channel.closes_at:%Y-%m-%d %H:%M}).",
            ),
            field="closesAt",
        )
    before = audit.snapshot(channel)
    channel.closes_at = closes_at
    await session.flush()
    audit.record(session, by, "channel.extend", channel, before=before)
    return channel


async def close_channel(
    session: AsyncSession, by: Principal, channel_id: uuid.UUID, *, now: datetime | None = None
) -> Channel:
    """Close a channel now: it takes no more participants' contributions. One that has not
    opened yet never will."""
    now = now or utcnow()
    channel = await lookups.get(session, Channel, channel_id, field="id")
    current = state(channel, now)
    if current is ChannelState.CLOSED:
        raise Conflict(
            msg(
                f"The channel is already closed (since {channel.closes_at:%Y-%m-%d %H:%M}).",
                f"El canal ya está cerrado (desde {channel.closes_at:%Y-%m-%d %H:%M}).",
                f"O canal já está fechado (desde {channel.closes_at:%Y-%m-%d %H:%M}).",
            ),
            field="id",
        )
    before = audit.snapshot(channel)
    if current is ChannelState.UPCOMING:
        channel.opens_at = now
    channel.closes_at = now
    await session.flush()
    audit.record(session, by, "channel.close", channel, before=before)
    return channel


async def _editable_channel(session: AsyncSession, channel_id: uuid.UUID) -> Channel:
    channel = await lookups.get(session, Channel, channel_id, field="id")
    plan = await lookups.get(session, ActionPlan, channel.plan_id)
    lifecycle.require_editable(plan)
    return channel


async def require_members(
    session: AsyncSession, channel_id: uuid.UUID, actor_ids: Sequence[uuid.UUID]
) -> None:
    """BAD_USER_INPUT unless every actor holds a seat in the channel (a forum's attendance)."""
    if not actor_ids:
        return
    seated = set(
        (
            await session.execute(
                select(ChannelMember.actor_id).where(
                    ChannelMember.channel_id == channel_id, ChannelMember.actor_id.in_(actor_ids)
                )
            )
        ).scalars()
    )
    missing = [a for a in actor_ids if a not in seated]
    if missing:
        raise BadUserInput(
            msg(
                f"{len(missing)} attendee(s) hold no seat in this channel: seat them first "
                "(addChannelMember).",
                f"{len(missing)} asistente(s) no tienen lugar en este canal: incorpórelos antes "
                "(addChannelMember).",
                f"{len(missing)} participante(s) não têm lugar neste canal: incorpore-os antes "
                "(addChannelMember).",
            ),
            field="attendeeIds",
        )


async def not_closed(
    session: AsyncSession, plan_id: uuid.UUID, kinds: Collection[str], now: datetime
) -> list[Channel]:
    """The plan's channels of ``kinds`` that are open or still to open at ``now``."""
    result = await session.execute(
        select(Channel)
        .where(Channel.plan_id == plan_id, Channel.kind.in_(list(kinds)), Channel.closes_at > now)
        .order_by(Channel.opens_at, Channel.id)
    )
    return list(result.scalars())


async def contribute(
    session: AsyncSession,
    by: Principal,
    data: ContributionData,
    *,
    participant_kinds: Collection[str],
    staff_kinds: Collection[str],
    is_staff: bool,
    premoderated: bool = False,
    at: datetime | None = None,
) -> Contribution:
    """Add a contribution. Participants' kinds need the channel open (at ``at``, default now:
    importing a past consultation passes the original time); staff kinds need staff."""
    at = at or utcnow()
    channel = await lookups.get(session, Channel, data.channel_id, field="channelId")
    kind = data.kind
    if kind in staff_kinds:
        if not is_staff:
            raise BadUserInput(
                msg(
                    f"Only staff record {CONTRIBUTION_KINDS[kind].en}.",
                    f"Solo el personal registra {CONTRIBUTION_KINDS[kind].es}.",
                    f"Só a equipe registra {CONTRIBUTION_KINDS[kind].pt}.",
                ),
                field="kind",
            )
    elif kind in participant_kinds:
        if not is_open(channel, at):
            raise Conflict(
                msg(
                    f"The channel is closed (open {channel.opens_at:%Y-%m-%d} to "
                    f"{channel.closes_at:%Y-%m-%d}).",
                    f"El canal está cerrado (abierto del {channel.opens_at:%Y-%m-%d} al "
                    f"{channel.closes_at:%Y-%m-%d}).",
                    f"O canal está fechado (aberto de {channel.opens_at:%Y-%m-%d} a "
                    f"{channel.closes_at:%Y-%m-%d}).",
                ),
                field="channelId",
            )
    else:
        raise BadUserInput(
            msg(
                f"This channel does not take {CONTRIBUTION_KINDS[kind].en}.",
                f"Este canal no admite {CONTRIBUTION_KINDS[kind].es}.",
                f"Este canal não admite {CONTRIBUTION_KINDS[kind].pt}.",
            ),
            field="kind",
        )
    parent = None
    if kind in PARENTED:
        if data.parent_id is None:
            raise BadUserInput(
                msg(
                    f"{capitalized(CONTRIBUTION_KINDS[kind].en)} needs the proposal it is about.",
                    f"{capitalized(CONTRIBUTION_KINDS[kind].es)} necesita su propuesta.",
                    f"{capitalized(CONTRIBUTION_KINDS[kind].pt)} precisa da sua proposta.",
                ),
                field="parentId",
            )
        parent = await lookups.get(session, Contribution, data.parent_id, field="parentId")
        if parent.channel_id != channel.id or parent.kind is not ContributionKind.PROPOSAL:
            raise BadUserInput(
                msg(
                    "Point at a proposal of this channel.",
                    "Indique una propuesta de este canal.",
                    "Indique uma proposta deste canal.",
                ),
                field="parentId",
            )
    if kind is ContributionKind.SUPPORT and parent is not None:
        if parent.author_subject == by.subject:
            raise Conflict(
                msg(
                    "You cannot support your own proposal.",
                    "No puede apoyar su propia propuesta.",
                    "Você não pode apoiar a sua própria proposta.",
                ),
                field="parentId",
            )
        await _require_no_support_yet(session, parent.id, by.subject)
    title = data.title
    if kind is ContributionKind.PROPOSAL:
        title = v.text("title", title, max_length=300)
    body = v.text(
        "body",
        data.body,
        max_length=20_000,
        required=kind in (ContributionKind.PROPOSAL, ContributionKind.COMMENT),
    )
    contribution = Contribution(
        plan_id=channel.plan_id,
        channel_id=channel.id,
        kind=kind,
        parent_id=parent.id if parent else None,
        author_subject=by.subject,
        author_name=v.text("authorName", data.author_name, max_length=200, required=False),
        title=title,
        body=body,
        data=data.data,
        moderation=Moderation.PENDING
        if premoderated and kind not in staff_kinds
        else Moderation.PUBLISHED,
        # When it was made: now, or the original time of an imported consultation.
        created_at=at,
    )
    session.add(contribution)
    await session.flush()
    audit.record(session, by, f"contribution.{kind.value.lower()}", contribution)
    return contribution


async def _require_no_support_yet(
    session: AsyncSession, proposal_id: uuid.UUID, author: str
) -> None:
    existing = await session.execute(
        select(Contribution.id).where(
            Contribution.parent_id == proposal_id,
            Contribution.kind == ContributionKind.SUPPORT,
            Contribution.author_subject == author,
        )
    )
    if existing.first() is not None:
        raise Conflict(
            msg(
                "You already support this proposal.",
                "Ya apoya esta propuesta.",
                "Você já apoia esta proposta.",
            ),
            field="parentId",
        )


async def moderate(
    session: AsyncSession,
    by: Principal,
    contribution_id: uuid.UUID,
    to: Moderation,
    reason: str,
    *,
    field: str = "id",
) -> Contribution:
    contribution = await lookups.get(session, Contribution, contribution_id, field=field)
    reason = v.text("reason", reason, max_length=5000, required=to is Moderation.HIDDEN)
    before = audit.snapshot(contribution)
    contribution.moderation = to
    contribution.moderation_reason = reason
    await session.flush()
    audit.record(session, by, "contribution.moderate", contribution, before=before)
    return contribution


#: How many contributions one bulk moderation may change.
MODERATE_AT_ONCE = 100


async def moderate_many(
    session: AsyncSession,
    by: Principal,
    contribution_ids: Sequence[uuid.UUID],
    to: Moderation,
    reason: str,
) -> list[Contribution]:
    """One moderation decision for several contributions (the pending supports of a
    consultation, a wave of spam), all or none; each change audited on its own."""
    ids = list(dict.fromkeys(contribution_ids))
    if not ids or len(ids) > MODERATE_AT_ONCE:
        raise BadUserInput(
            msg(
                f"Moderate between 1 and {MODERATE_AT_ONCE} contributions at once.",
                f"Modere entre 1 y {MODERATE_AT_ONCE} contribuciones a la vez.",
                f"Modere entre 1 e {MODERATE_AT_ONCE} contribuições de cada vez.",
            ),
            field="ids",
        )
    return [await moderate(session, by, cid, to, reason, field="ids") for cid in ids]


async def respond(
    session: AsyncSession,
    by: Principal,
    contribution_id: uuid.UUID,
    outcome: ResponseOutcome,
    response: str,
    *,
    commitment_ids: Sequence[uuid.UUID] = (),
    merged_into_id: uuid.UUID | None = None,
) -> Contribution:
    """The reasoned response to a proposal: accepted into commitments, merged into another
    proposal, or declined; always with the reasons."""
    proposal = await lookups.get(session, Contribution, contribution_id, field="id")
    if proposal.kind is not ContributionKind.PROPOSAL:
        raise BadUserInput(
            msg(
                "Only proposals get a response.",
                "Solo las propuestas reciben respuesta.",
                "Só as propostas recebem resposta.",
            ),
            field="id",
        )
    response = v.text("response", response, max_length=20_000)
    if outcome is ResponseOutcome.ACCEPTED and not commitment_ids:
        raise BadUserInput(
            msg(
                "Name the commitments that take it up.",
                "Indique los compromisos que la recogen.",
                "Indique os compromissos que a acolhem.",
            ),
            field="commitmentIds",
        )
    if outcome is ResponseOutcome.MERGED:
        if merged_into_id is None or merged_into_id == proposal.id:
            raise BadUserInput(
                msg(
                    "Name the proposal it merges into.",
                    "Indique la propuesta en que se integra.",
                    "Indique a proposta em que se integra.",
                ),
                field="mergedIntoId",
            )
        target = await lookups.get(session, Contribution, merged_into_id, field="mergedIntoId")
        if target.kind is not ContributionKind.PROPOSAL or target.channel_id != proposal.channel_id:
            raise BadUserInput(
                msg(
                    "Merge into a proposal of the same channel.",
                    "Intégrela en una propuesta del mismo canal.",
                    "Integre-a em uma proposta do mesmo canal.",
                ),
                field="mergedIntoId",
            )
    commitments = [
        await lookups.get(session, Commitment, cid, field="commitmentIds") for cid in commitment_ids
    ]
    if any(c.plan_id != proposal.plan_id for c in commitments):
        raise BadUserInput(
            msg(
                "Commitments must belong to the proposal's plan.",
                "Los compromisos deben ser del plan de la propuesta.",
                "Os compromissos devem ser do plano da proposta.",
            ),
            field="commitmentIds",
        )
    before = audit.snapshot(proposal)
    proposal.outcome = outcome
    proposal.response = response
    proposal.merged_into_id = merged_into_id if outcome is ResponseOutcome.MERGED else None
    proposal.responded_by = by.subject
    proposal.responded_at = utcnow()
    await session.execute(
        delete(CommitmentContribution).where(CommitmentContribution.contribution_id == proposal.id)
    )
    for commitment in commitments if outcome is ResponseOutcome.ACCEPTED else []:
        session.add(
            CommitmentContribution(
                plan_id=proposal.plan_id, commitment_id=commitment.id, contribution_id=proposal.id
            )
        )
    await session.flush()
    after = audit.snapshot(proposal) | {"commitment_ids": [str(c.id) for c in commitments]}
    audit.record(session, by, "contribution.respond", proposal, before=before, after=after)
    return proposal


async def add_member(
    session: AsyncSession, by: Principal, channel_id: uuid.UUID, actor_id: uuid.UUID, role: str
) -> ChannelMember:
    channel = await lookups.get(session, Channel, channel_id, field="channelId")
    await lookups.get(session, Actor, actor_id, field="actorId")
    existing = await session.execute(
        select(ChannelMember.id).where(
            ChannelMember.channel_id == channel.id, ChannelMember.actor_id == actor_id
        )
    )
    if existing.first() is not None:
        raise Conflict(msg("Already a member.", "Ya es miembro.", "Já é membro."), field="actorId")
    member = ChannelMember(
        plan_id=channel.plan_id,
        channel_id=channel.id,
        actor_id=actor_id,
        role=v.text("role", role, max_length=200, required=False),
    )
    session.add(member)
    await session.flush()
    audit.record(session, by, "channel.add_member", member)
    return member


async def unanswered_proposals(
    session: AsyncSession, plan_id: uuid.UUID, kinds: Collection[str]
) -> list[Contribution]:
    """Published proposals of the plan's channels of ``kinds`` that have no response yet,
    oldest first."""
    result = await session.execute(
        select(Contribution)
        .join(
            Channel,
            (Channel.tenant_id == Contribution.tenant_id) & (Channel.id == Contribution.channel_id),
        )
        .where(
            Contribution.plan_id == plan_id,
            Contribution.kind == ContributionKind.PROPOSAL,
            Contribution.moderation == Moderation.PUBLISHED,
            Contribution.outcome.is_(None),
            Channel.kind.in_(list(kinds)),
        )
        .order_by(Contribution.created_at, Contribution.id)
    )
    return list(result.scalars())
