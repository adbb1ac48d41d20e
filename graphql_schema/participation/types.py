from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from core.actors.models import Actor as ActorRow
from core.commitments.links import CommitmentContribution
from core.db.base import utcnow
from core.enums import ChannelState, ContributionKind, Moderation, ResponseOutcome
from core.identity.roles import Permission
from core.participation import service as participation
from core.participation.models import Channel as ChannelRow
from core.participation.models import ChannelMember as MemberRow
from core.participation.models import Contribution as ContributionRow
from graphql_schema.actors.types import Actor
from graphql_schema.connections import connection
from graphql_schema.context import Info
from graphql_schema.jobs.types import OpenDataFile, open_data_files
from graphql_schema.loaders import CONTRIBUTIONS
from graphql_schema.open_data import RECORD_FORMATS, channel_path
from graphql_schema.pagination import NULL
from graphql_schema.relay import Connection, Node
from graphql_schema.rows import from_row, from_rows

if TYPE_CHECKING:
    from graphql_schema.commitments.types import Commitment


@strawberry.type
class ChannelMember:
    actor: Actor
    role: str


@strawberry.type(description="A participation channel on an action plan; its kind is a plugin's.")
class Channel(Node):
    row: strawberry.Private[ChannelRow]
    kind: str
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    rules: JSON

    @strawberry.field
    def is_open(self) -> bool:
        return participation.is_open(self.row, utcnow())

    @strawberry.field(description="Upcoming, open, or closed (on its date or by hand).")
    def state(self) -> ChannelState:
        return participation.state(self.row, utcnow())

    @strawberry.field(
        description="The record of the channel (every published contribution, its supports, "
        "the reasoned response and the commitments it led to; authors anonymised) as open "
        "data, one file per format. Empty until the channel opens, and while its plan is a "
        "draft."
    )
    async def open_data(self, info: Info) -> list[OpenDataFile]:
        from core.plans.models import ActionPlan as PlanRow

        plan = await info.context.loaders.get(PlanRow).load(self.row.plan_id)
        if plan is None or not plan.is_public or self.row.opens_at > utcnow():
            return []
        return open_data_files(info, channel_path, self.row.id, RECORD_FORMATS)

    @strawberry.field
    async def members(self, info: Info) -> list[ChannelMember]:
        members: list[MemberRow] = await info.context.loaders.children(
            MemberRow, "channel_id"
        ).load(self.row.id)
        actors = await info.context.loaders.get(ActorRow).load_many([m.actor_id for m in members])
        return [
            ChannelMember(actor=from_row(Actor, a), role=m.role)
            for m, a in zip(members, actors, strict=True)
        ]

    @strawberry.field(
        description="Contributions, oldest first, optionally only of a kind, of moderation "
        "states, of response outcomes, or answered or not. The public sees published ones."
    )
    async def contributions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: ContributionKind | None = None,
        moderation: list[Moderation] | None = None,
        outcome: list[ResponseOutcome] | None = None,
        answered: Annotated[
            bool | None,
            strawberry.argument(
                description="true: proposals with a reasoned response; false: those still "
                "waiting for one."
            ),
        ] = None,
    ) -> Connection[Contribution]:
        filters: list[tuple[str, tuple[Any, ...]]] = []
        if kind:
            filters.append(("kind", (kind,)))
        if moderation:
            filters.append(("moderation", tuple(sorted(set(moderation)))))
        if outcome:
            filters.append(("outcome", tuple(sorted(set(outcome)))))
        if answered is not None:
            filters.append((f"outcome{NULL}", (not answered,)))
        return await connection(
            info, CONTRIBUTIONS, Contribution, self.row.id, first, after, tuple(filters)
        )


@strawberry.type(description="A link to a meeting's minutes, presentation or recording.")
class MeetingDocument:
    url: str
    title: str


@strawberry.type(description="A meeting of a channel (a forum's session), as recorded by staff.")
class Meeting:
    title: str
    held_on: date
    place: str
    agenda: str
    minutes: str
    documents: list[MeetingDocument]
    attendee_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field(description="The actors present.")
    async def attendees(self, info: Info) -> list[Actor]:
        rows = await info.context.loaders.get(ActorRow).load_many(self.attendee_ids)
        return [from_row(Actor, row) for row in rows if row is not None]


async def _supports(info: Info, proposal_id: Any, moderation: Moderation) -> int:
    count: int = await info.context.loaders.counts_by(
        ContributionRow, "parent_id", kind=ContributionKind.SUPPORT, moderation=moderation
    ).load(proposal_id)
    return count


@strawberry.type(
    description="A proposal, comment, support, vote or meeting, and what became of it."
)
class Contribution(Node):
    row: strawberry.Private[ContributionRow]
    kind: ContributionKind
    title: str
    body: str
    author_name: str
    data: JSON = strawberry.field(deprecation_reason="A meeting's record is typed: read `meeting`.")
    moderation: Moderation
    moderation_reason: str
    outcome: ResponseOutcome | None = strawberry.field(
        description="The reasoned response's outcome."
    )
    response: str = strawberry.field(description="The reasons given.")
    responded_at: datetime | None
    created_at: datetime

    @strawberry.field(description="A meeting's record; null for other contributions.")
    def meeting(self) -> Meeting | None:
        if self.row.kind is not ContributionKind.MEETING:
            return None
        data = self.row.data
        return Meeting(
            title=self.row.title,
            held_on=date.fromisoformat(data["held_on"]),
            place=data.get("place", ""),
            agenda=data.get("agenda", self.row.body),
            minutes=data.get("minutes", ""),
            documents=[
                MeetingDocument(url=d["url"], title=d.get("title", ""))
                for d in data.get("documents", ())
            ],
            attendee_ids=[uuid.UUID(a) for a in data.get("attendee_ids", ())],
        )

    @strawberry.field(
        description="The account that wrote it (issuer subject), for moderators; null for "
        "everyone else."
    )
    def author_account(self, info: Info) -> str | None:
        if not info.context.principal.can(Permission.MODERATE):
            return None
        return self.row.author_subject

    @strawberry.field
    async def channel(self, info: Info) -> Channel:
        return from_row(
            Channel, await info.context.loaders.get(ChannelRow).load(self.row.channel_id)
        )

    @strawberry.field(description="The proposal a comment, support or vote is about.")
    async def parent(self, info: Info) -> Contribution | None:
        if self.row.parent_id is None:
            return None
        row = await info.context.loaders.get(ContributionRow).load(self.row.parent_id)
        return from_row(Contribution, row) if row else None

    @strawberry.field(description="The proposal this one was merged into.")
    async def merged_into(self, info: Info) -> Contribution | None:
        if self.row.merged_into_id is None:
            return None
        row = await info.context.loaders.get(ContributionRow).load(self.row.merged_into_id)
        return from_row(Contribution, row) if row else None

    @strawberry.field(
        description="Supports the public sees (published): the same number for everyone."
    )
    async def support_count(self, info: Info) -> int:
        return await _supports(info, self.row.id, Moderation.PUBLISHED)

    @strawberry.field(
        description="Supports waiting for moderation (premoderated channels); null for those "
        "who do not moderate."
    )
    async def pending_support_count(self, info: Info) -> int | None:
        if not info.context.principal.can(Permission.MODERATE):
            return None
        return await _supports(info, self.row.id, Moderation.PENDING)

    @strawberry.field(
        description="Supports hidden by moderation; null for those who do not moderate."
    )
    async def hidden_support_count(self, info: Info) -> int | None:
        if not info.context.principal.can(Permission.MODERATE):
            return None
        return await _supports(info, self.row.id, Moderation.HIDDEN)

    @strawberry.field
    async def comments(self, info: Info) -> list[Contribution]:
        rows = await info.context.loaders.children(
            ContributionRow, "parent_id", ("created_at", "id")
        ).load(self.row.id)
        return from_rows(Contribution, [r for r in rows if r.kind is ContributionKind.COMMENT])

    @strawberry.field(description="The commitments that take this proposal up (traceability).")
    async def commitments(
        self, info: Info
    ) -> list[Annotated[Commitment, strawberry.lazy("graphql_schema.commitments.types")]]:
        from core.commitments.models import Commitment as CommitmentRow
        from graphql_schema.commitments.types import Commitment

        links = await info.context.loaders.children(CommitmentContribution, "contribution_id").load(
            self.row.id
        )
        rows = await info.context.loaders.get(CommitmentRow).load_many(
            [link.commitment_id for link in links]
        )
        return from_rows(Commitment, [r for r in rows if r is not None])
