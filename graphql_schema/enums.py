"""The core's enumerations, exposed as GraphQL enums."""

import strawberry

from core.enums import (
    ActionPlanStatus,
    ActorKind,
    CompletionLevel,
    Locale,
    MilestoneStatus,
    MunicipalityStatus,
    OgpValue,
)
from core.identity.roles import Role

ActionPlanStatusEnum = strawberry.enum(ActionPlanStatus, name="ActionPlanStatus")
ActorKindEnum = strawberry.enum(ActorKind, name="ActorKind")
CompletionLevelEnum = strawberry.enum(CompletionLevel, name="CompletionLevel")
LocaleEnum = strawberry.enum(Locale, name="Locale")
MilestoneStatusEnum = strawberry.enum(MilestoneStatus, name="MilestoneStatus")
MunicipalityStatusEnum = strawberry.enum(MunicipalityStatus, name="MunicipalityStatus")
OgpValueEnum = strawberry.enum(OgpValue, name="OgpValue")
RoleEnum = strawberry.enum(Role, name="Role")
