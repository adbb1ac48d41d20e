from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from core.commitments import service as commitments
from core.enums import OgpValue
from core.identity.roles import Permission
from graphql_schema.commitments.types import Commitment
from graphql_schema.context import Info
from graphql_schema.inputs import optional_id, provided
from graphql_schema.permissions import requires
from graphql_schema.relay import decode_id
from graphql_schema.rows import from_row


@strawberry.input
class CreateCommitmentInput:
    action_plan_id: strawberry.ID
    code: str
    title: str
    start_date: date
    end_date: date
    problem: str = ""
    status_quo: str = ""
    objective: str = ""
    contribution: str = ""
    ogp_values: list[OgpValue] = strawberry.field(default_factory=list)
    lead_agency_id: strawberry.ID | None = None
    supporting_actor_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateCommitmentInput:
    id: strawberry.ID
    code: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    problem: str | None = strawberry.UNSET
    status_quo: str | None = strawberry.UNSET
    objective: str | None = strawberry.UNSET
    contribution: str | None = strawberry.UNSET
    ogp_values: list[OgpValue] | None = strawberry.UNSET
    lead_agency_id: strawberry.ID | None = strawberry.UNSET
    supporting_actor_ids: list[strawberry.ID] | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.type
class CommitmentPayload:
    commitment: Commitment


EDIT = [requires(Permission.EDIT_PLANS)]


def _actor_ids(values: list[strawberry.ID]) -> list:
    return [decode_id(v, "Actor", field="supportingActorIds") for v in values]


@strawberry.type
class CommitmentMutations:
    @strawberry.mutation(
        permission_classes=EDIT,
        description="Add a commitment (OGP's template: problem, status quo, objective, "
        "contribution, "
        "values) to a plan; on a published plan it is public once the plan's changes are "
        "published.",
    )
    async def create_commitment(
        self, info: Info, input: CreateCommitmentInput
    ) -> CommitmentPayload:
        info.context.tenant()
        data = commitments.CommitmentData(
            plan_id=decode_id(input.action_plan_id, "ActionPlan", field="actionPlanId"),
            code=input.code,
            title=input.title,
            start_date=input.start_date,
            end_date=input.end_date,
            problem=input.problem,
            status_quo=input.status_quo,
            objective=input.objective,
            contribution=input.contribution,
            ogp_values=[v.value for v in input.ogp_values],
            lead_agency_id=optional_id(input.lead_agency_id, "Actor", "leadAgencyId"),
            supporting_actor_ids=_actor_ids(input.supporting_actor_ids),
            tags=input.tags,
        )
        async with info.context.transaction() as session:
            row = await commitments.create(session, info.context.principal, data)
        return CommitmentPayload(commitment=from_row(Commitment, row))

    @strawberry.mutation(
        permission_classes=EDIT,
        description="Change a commitment; only the fields sent change, and on a published plan "
        "they wait "
        "for publishActionPlanChanges.",
    )
    async def update_commitment(
        self, info: Info, input: UpdateCommitmentInput
    ) -> CommitmentPayload:
        info.context.tenant()
        commitment_id = decode_id(input.id, "Commitment", field="id")
        changes = provided(input)
        nullable = {"lead_agency_id"}
        changes = {k: v for k, v in changes.items() if v is not None or k in nullable}
        if "lead_agency_id" in changes:
            changes["lead_agency_id"] = optional_id(
                changes["lead_agency_id"], "Actor", "leadAgencyId"
            )
        if "supporting_actor_ids" in changes:
            changes["supporting_actor_ids"] = _actor_ids(changes["supporting_actor_ids"])
        if "ogp_values" in changes:
            changes["ogp_values"] = [v.value for v in changes["ogp_values"]]
        async with info.context.transaction() as session:
            row = await commitments.update(session, info.context.principal, commitment_id, changes)
        return CommitmentPayload(commitment=from_row(Commitment, row))


@strawberry.input
class GapInput:
    assessment_id: strawberry.ID
    indicator: str


@strawberry.input
class LinkCommitmentGapsInput:
    commitment_id: strawberry.ID
    gaps: list[GapInput] = strawberry.field(description="Replaces the commitment's gaps.")


@strawberry.type
class CommitmentLinkMutations:
    @strawberry.mutation(
        description="Say which diagnostic gaps (assessment indicators) a commitment addresses.",
        permission_classes=EDIT,
    )
    async def link_commitment_gaps(
        self, info: Info, input: LinkCommitmentGapsInput
    ) -> CommitmentPayload:
        context = info.context
        context.tenant()
        commitment_id = decode_id(input.commitment_id, "Commitment", field="commitmentId")
        gaps = [
            (decode_id(g.assessment_id, "Assessment", field=f"gaps.{i}.assessmentId"), g.indicator)
            for i, g in enumerate(input.gaps)
        ]

        def is_gap(assessment: Any, code: str, answer: str | None) -> bool | None:
            found = context.plugins.instrument(assessment.instrument)
            return found[1].is_gap(code, answer) if found is not None else None

        async with context.transaction() as session:
            row = await commitments.link_gaps(
                session, context.principal, commitment_id, gaps, is_gap
            )
        return CommitmentPayload(commitment=from_row(Commitment, row))
