from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from core import lookups
from core import validation as v
from core.enums import ActionPlanStatus
from core.errors import Conflict
from core.i18n import Message
from core.identity.roles import Permission
from core.plans import publishing
from core.plans import service as plans
from core.plans.models import ActionPlan as PlanRow
from graphql_schema.context import Info
from graphql_schema.inputs import provided
from graphql_schema.permissions import requires
from graphql_schema.plans.types import ActionPlan
from graphql_schema.plans.versions import PlanVersion, version_of
from graphql_schema.relay import decode_id, to_global_id
from graphql_schema.rows import from_row
from plugins import activation
from plugins.records import Objection


@strawberry.input
class CreateActionPlanInput:
    title: str
    start_date: date
    end_date: date
    summary: str = ""


@strawberry.input
class UpdateActionPlanInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET


@strawberry.input
class TransitionActionPlanInput:
    id: strawberry.ID
    to: ActionPlanStatus


@strawberry.input
class PublishActionPlanChangesInput:
    action_plan_id: strawberry.ID
    note: str = strawberry.field(default="", description="What this version changes, in words.")


@strawberry.type
class ActionPlanPayload:
    action_plan: ActionPlan


@strawberry.type
class PlanVersionPayload:
    action_plan: ActionPlan
    version: PlanVersion


EDIT = [requires(Permission.EDIT_PLANS)]


@strawberry.type
class PlanMutations:
    @strawberry.mutation(
        permission_classes=EDIT,
        description="Start an action plan, as a draft only the municipality's staff see.",
    )
    async def create_action_plan(
        self, info: Info, input: CreateActionPlanInput
    ) -> ActionPlanPayload:
        info.context.tenant()
        data = plans.PlanData(
            title=input.title,
            summary=input.summary,
            start_date=input.start_date,
            end_date=input.end_date,
        )
        async with info.context.transaction() as session:
            row = await plans.create(session, info.context.principal, data)
        return ActionPlanPayload(action_plan=from_row(ActionPlan, row))

    @strawberry.mutation(
        permission_classes=EDIT,
        description="Change a plan's title, summary or dates; on a published plan the change waits "
        "for "
        "publishActionPlanChanges.",
    )
    async def update_action_plan(
        self, info: Info, input: UpdateActionPlanInput
    ) -> ActionPlanPayload:
        info.context.tenant()
        plan_id = decode_id(input.id, "ActionPlan", field="id")
        changes = {k: v for k, v in provided(input).items() if v is not None}
        async with info.context.transaction() as session:
            row = await plans.update(session, info.context.principal, plan_id, changes)
        return ActionPlanPayload(action_plan=from_row(ActionPlan, row))

    @strawberry.mutation(
        description="Move a plan along DRAFT -> COCREATION -> PUBLISHED -> IMPLEMENTATION -> "
        "CLOSED, or to ARCHIVED from any state.",
        permission_classes=EDIT,
    )
    async def transition_action_plan(
        self, info: Info, input: TransitionActionPlanInput
    ) -> ActionPlanPayload:
        info.context.tenant()
        context = info.context
        plan_id = decode_id(input.id, "ActionPlan", field="id")
        enabled = await context.enabled_plugins()
        async with context.transaction() as session:
            plan = await lookups.get(session, PlanRow, plan_id, field="id")
            reasons = await activation.transition_objections(
                context.plugins, enabled, session, plan, input.to.value
            )
            if reasons:
                raise Conflict(
                    Message.join([r.message for r in reasons]),
                    field="to",
                    details={"reasons": [_reason(r) for r in reasons]},
                )
            row = await plans.transition(session, context.principal, plan_id, input.to)
        return ActionPlanPayload(action_plan=from_row(ActionPlan, row))

    @strawberry.mutation(
        description="Publish the draft of a published plan (or one in implementation): its "
        "pending changes and the commitments and milestones added since become what the public "
        "reads, frozen as the plan's next version with its changelog. CONFLICT when nothing "
        "changed.",
        permission_classes=EDIT,
    )
    async def publish_action_plan_changes(
        self, info: Info, input: PublishActionPlanChangesInput
    ) -> PlanVersionPayload:
        info.context.tenant()
        plan_id = decode_id(input.action_plan_id, "ActionPlan", field="actionPlanId")
        note = v.text("note", input.note, max_length=2_000, required=False)
        async with info.context.transaction() as session:
            version = await publishing.publish_changes(
                session, info.context.principal, plan_id, note
            )
            plan = await lookups.get(session, PlanRow, plan_id, field="actionPlanId")
        return PlanVersionPayload(
            action_plan=from_row(ActionPlan, plan), version=version_of(version)
        )


def _reason(objection: Objection) -> dict[str, Any]:
    """An objection in a refusal's ``extensions``: its texts and the records in the way."""
    return {
        "en": objection.message.en,
        "es": objection.message.es,
        "pt": objection.message.pt,
        "items": [
            {"id": to_global_id(item.type, item.id), "type": item.type, "title": item.title}
            for item in objection.items
        ],
    }
