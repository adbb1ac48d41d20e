from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from core import lookups
from core import validation as v
from core.actors.models import Actor as ActorRow
from core.enums import ContributionKind, Moderation, ResponseOutcome
from core.errors import BadUserInput
from core.i18n import msg
from core.identity.principal import Principal
from core.identity.roles import Permission
from core.notifications import participants
from core.participation import service as participation
from core.participation.models import Channel as ChannelRow
from graphql_schema.actors.types import Actor
from graphql_schema.context import Info
from graphql_schema.participation.types import Channel, ChannelMember, Contribution
from graphql_schema.permissions import requires
from graphql_schema.relay import decode_id
from graphql_schema.rows import from_row
from plugins import activation
from plugins.records import ChannelKindSpec


@strawberry.input
class OpenChannelInput:
    action_plan_id: strawberry.ID
    kind: str = strawberry.field(
        description="A channel kind of an enabled plugin, e.g. consultation."
    )
    title: str
    opens_at: datetime
    closes_at: datetime
    description: str = ""
    rules: JSON | None = None


@strawberry.input
class UpdateChannelInput:
    id: strawberry.ID
    title: str | None = None
    description: str | None = None
    rules: JSON | None = strawberry.field(
        default=None, description="The channel kind's rules, replaced as a whole."
    )
    opens_at: datetime | None = strawberry.field(
        default=None, description="Only while the channel has not opened."
    )


@strawberry.input
class ExtendChannelInput:
    id: strawberry.ID
    closes_at: datetime = strawberry.field(description="Later than the current closing date.")


@strawberry.input
class CloseChannelInput:
    id: strawberry.ID


@strawberry.input
class ContributeInput:
    channel_id: strawberry.ID
    kind: ContributionKind
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The proposal a comment or support is about."
    )
    title: str = ""
    body: str = ""
    author_name: str = strawberry.field(
        default="",
        deprecation_reason="The author's name comes from their identity (the name claim of "
        "their token); a value given here is not used.",
    )


@strawberry.input
class ModerateContributionInput:
    id: strawberry.ID
    moderation: Moderation
    reason: str = ""


@strawberry.input
class ModerateContributionsInput:
    ids: list[strawberry.ID] = strawberry.field(description="Up to 100 contributions.")
    moderation: Moderation
    reason: str = strawberry.field(default="", description="Required to hide.")


@strawberry.input
class RespondToContributionInput:
    id: strawberry.ID
    outcome: ResponseOutcome
    response: str = strawberry.field(description="The reasons, always required.")
    commitment_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    merged_into_id: strawberry.ID | None = None


@strawberry.input
class AddChannelMemberInput:
    channel_id: strawberry.ID
    actor_id: strawberry.ID
    role: str = ""


@strawberry.input
class MeetingDocumentInput:
    url: str
    title: str = ""


@strawberry.input
class RecordMeetingInput:
    channel_id: strawberry.ID
    held_on: date
    agenda: str
    title: str = strawberry.field(default="", description="Default: the meeting's date.")
    place: str = ""
    minutes: str = ""
    attendee_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Actors present (in a channel with members, members only).",
    )
    documents: list[MeetingDocumentInput] = strawberry.field(
        default_factory=list, description="Links to the minutes, presentations, recordings."
    )


@strawberry.type
class ChannelPayload:
    channel: Channel


@strawberry.type
class ContributionPayload:
    contribution: Contribution


@strawberry.type
class ContributionsPayload:
    contributions: list[Contribution]


@strawberry.type
class ChannelMemberPayload:
    member: ChannelMember


async def _kind(info: Info, kind: str, field: str = "kind") -> ChannelKindSpec:
    spec: ChannelKindSpec = await info.context.enabled_spec("channel_kind", kind, field=field)
    return spec


def _rules(spec: ChannelKindSpec, rules: Any) -> dict[str, Any]:
    return activation.validate_model(spec.rules, rules, "rules") if spec.rules else {}


async def _channel(
    info: Info, global_id: str, field: str = "channelId"
) -> tuple[ChannelRow, ChannelKindSpec]:
    channel_id = decode_id(global_id, "Channel", field=field)
    async with info.context.db_lock:
        channel = await lookups.get(info.context.session, ChannelRow, channel_id, field=field)
    return channel, await _kind(info, channel.kind, field=field)


EDIT = [requires(Permission.EDIT_PLANS)]


def display_name(principal: Principal) -> str:
    """How a participant signs: the name their identity provider (or the issuer) vouches for."""
    claims = principal.claims
    for claim in ("name", "preferred_username", "nickname"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return ""


#: Documents one meeting record may link to.
MAX_DOCUMENTS = 20


def meeting_data(input: RecordMeetingInput, attendees: list[Any]) -> dict[str, Any]:
    """What a meeting record keeps (read back as ``Contribution.meeting``)."""
    return {
        "held_on": input.held_on.isoformat(),
        "place": v.text("place", input.place, max_length=300, required=False),
        "agenda": v.text("agenda", input.agenda, max_length=20_000),
        "minutes": v.text("minutes", input.minutes, max_length=100_000, required=False),
        "attendee_ids": [str(a) for a in dict.fromkeys(attendees)],
        "documents": v.links("documents", input.documents, max_items=MAX_DOCUMENTS),
    }


@strawberry.type
class ParticipationMutations:
    @strawberry.mutation(
        description="Open a participation channel on an action plan.", permission_classes=EDIT
    )
    async def open_channel(self, info: Info, input: OpenChannelInput) -> ChannelPayload:
        context = info.context
        context.tenant()
        spec = await _kind(info, input.kind)
        data = participation.ChannelData(
            plan_id=decode_id(input.action_plan_id, "ActionPlan", field="actionPlanId"),
            kind=spec.name,
            title=input.title,
            description=input.description,
            opens_at=input.opens_at,
            closes_at=input.closes_at,
            rules=_rules(spec, input.rules),
        )
        async with context.transaction() as session:
            row = await participation.open_channel(session, context.principal, data)
        return ChannelPayload(channel=from_row(Channel, row))

    @strawberry.mutation(
        description="Edit a channel's title, description and rules (and its opening date, "
        "before it opens), while its plan can be edited.",
        permission_classes=EDIT,
    )
    async def update_channel(self, info: Info, input: UpdateChannelInput) -> ChannelPayload:
        context = info.context
        context.tenant()
        channel, spec = await _channel(info, input.id, field="id")
        rules = _rules(spec, input.rules) if input.rules is not None else None
        async with context.transaction() as session:
            row = await participation.update_channel(
                session,
                context.principal,
                channel.id,
                title=input.title,
                description=input.description,
                rules=rules,
                opens_at=input.opens_at,
            )
        return ChannelPayload(channel=from_row(Channel, row))

    @strawberry.mutation(
        description="Move an open or upcoming channel's closing date later.",
        permission_classes=EDIT,
    )
    async def extend_channel(self, info: Info, input: ExtendChannelInput) -> ChannelPayload:
        context = info.context
        context.tenant()
        channel_id = decode_id(input.id, "Channel", field="id")
        async with context.transaction() as session:
            row = await participation.extend_channel(
                session, context.principal, channel_id, input.closes_at
            )
        return ChannelPayload(channel=from_row(Channel, row))

    @strawberry.mutation(
        description="Close a channel now: participants can no longer contribute. One that "
        "has not opened never will.",
        permission_classes=EDIT,
    )
    async def close_channel(self, info: Info, input: CloseChannelInput) -> ChannelPayload:
        context = info.context
        context.tenant()
        channel_id = decode_id(input.id, "Channel", field="id")
        async with context.transaction() as session:
            row = await participation.close_channel(session, context.principal, channel_id)
        return ChannelPayload(channel=from_row(Channel, row))

    @strawberry.mutation(
        description="Propose, comment or support (participants, while the channel is open).",
        permission_classes=[requires(Permission.PARTICIPATE)],
    )
    async def contribute(self, info: Info, input: ContributeInput) -> ContributionPayload:
        context = info.context
        context.tenant()
        channel, spec = await _channel(info, input.channel_id)
        data = participation.ContributionData(
            channel_id=channel.id,
            kind=input.kind,
            parent_id=decode_id(input.parent_id, "Contribution", field="parentId")
            if input.parent_id
            else None,
            title=input.title,
            body=input.body,
            # Never from the input: a participant could sign as "the Mayor's office".
            author_name=display_name(context.principal),
        )
        async with context.transaction() as session:
            row = await participation.contribute(
                session,
                context.principal,
                data,
                participant_kinds=spec.participant_kinds,
                staff_kinds=(),
                is_staff=False,
                premoderated=bool(channel.rules.get("premoderated")),
            )
            # Where the answer to it will be told (their identity's address, refreshed).
            await participants.remember(session, context.principal)
        return ContributionPayload(contribution=from_row(Contribution, row))

    @strawberry.mutation(
        description="Publish, hold or hide a contribution (with the reason).",
        permission_classes=[requires(Permission.MODERATE)],
    )
    async def moderate_contribution(
        self, info: Info, input: ModerateContributionInput
    ) -> ContributionPayload:
        context = info.context
        context.tenant()
        contribution_id = decode_id(input.id, "Contribution", field="id")
        async with context.transaction() as session:
            row = await participation.moderate(
                session, context.principal, contribution_id, input.moderation, input.reason
            )
        return ContributionPayload(contribution=from_row(Contribution, row))

    @strawberry.mutation(
        description="Publish, hold or hide several contributions at once (all or none), with "
        "one reason.",
        permission_classes=[requires(Permission.MODERATE)],
    )
    async def moderate_contributions(
        self, info: Info, input: ModerateContributionsInput
    ) -> ContributionsPayload:
        context = info.context
        context.tenant()
        ids = [decode_id(i, "Contribution", field="ids") for i in input.ids]
        async with context.transaction() as session:
            rows = await participation.moderate_many(
                session, context.principal, ids, input.moderation, input.reason
            )
        return ContributionsPayload(contributions=[from_row(Contribution, r) for r in rows])

    @strawberry.mutation(
        description="The reasoned response to a proposal: accepted, merged or declined.",
        permission_classes=EDIT,
    )
    async def respond_to_contribution(
        self, info: Info, input: RespondToContributionInput
    ) -> ContributionPayload:
        context = info.context
        sender = context.sender()
        contribution_id = decode_id(input.id, "Contribution", field="id")
        commitment_ids = [
            decode_id(c, "Commitment", field="commitmentIds") for c in input.commitment_ids
        ]
        merged = (
            decode_id(input.merged_into_id, "Contribution", field="mergedIntoId")
            if input.merged_into_id
            else None
        )
        async with context.transaction() as session:
            row = await participation.respond(
                session,
                context.principal,
                contribution_id,
                input.outcome,
                input.response,
                commitment_ids=commitment_ids,
                merged_into_id=merged,
            )
            # Its author and supporters hear back, in the same commit (the outbox).
            await participants.notify_answered(session, sender, row)
        return ContributionPayload(contribution=from_row(Contribution, row))

    @strawberry.mutation(
        description="Seat an actor in a channel that has members (a forum).",
        permission_classes=EDIT,
    )
    async def add_channel_member(
        self, info: Info, input: AddChannelMemberInput
    ) -> ChannelMemberPayload:
        context = info.context
        context.tenant()
        channel, spec = await _channel(info, input.channel_id)
        if not spec.has_members:
            raise BadUserInput(
                msg(
                    "This channel has no members.",
                    "Este canal no tiene miembros.",
                    "Este canal não tem membros.",
                ),
                field="channelId",
            )
        actor_id = decode_id(input.actor_id, "Actor", field="actorId")
        async with context.transaction() as session:
            member = await participation.add_member(
                session, context.principal, channel.id, actor_id, input.role
            )
            actor = await lookups.get(session, ActorRow, member.actor_id)
        return ChannelMemberPayload(
            member=ChannelMember(actor=from_row(Actor, actor), role=member.role)
        )

    @strawberry.mutation(
        description="Record a meeting: date, agenda, minutes and who attended.",
        permission_classes=EDIT,
    )
    async def record_meeting(self, info: Info, input: RecordMeetingInput) -> ContributionPayload:
        context = info.context
        context.tenant()
        channel, spec = await _channel(info, input.channel_id)
        if input.held_on > context.today():
            raise BadUserInput(
                msg(
                    "A meeting is recorded once it has been held, not before.",
                    "Una reunión se registra después de celebrada, no antes.",
                    "Uma reunião é registrada depois de realizada, não antes.",
                ),
                field="heldOn",
            )
        attendees = [decode_id(a, "Actor", field="attendeeIds") for a in input.attendee_ids]
        async with context.transaction() as session:
            for attendee in attendees:
                await lookups.get(session, ActorRow, attendee, field="attendeeIds")
            if spec.has_members:
                await participation.require_members(session, channel.id, attendees)
            data = participation.ContributionData(
                channel_id=channel.id,
                kind=ContributionKind.MEETING,
                title=v.text("title", input.title, max_length=300, required=False)
                or f"{input.held_on:%Y-%m-%d}",
                body=input.agenda,
                data=meeting_data(input, attendees),
            )
            row = await participation.contribute(
                session,
                context.principal,
                data,
                participant_kinds=spec.participant_kinds,
                staff_kinds=spec.staff_kinds,
                is_staff=True,
            )
        return ContributionPayload(contribution=from_row(Contribution, row))
