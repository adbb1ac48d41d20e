from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info as StrawberryInfo

from core.enums import ActionPlanStatus, Locale, MunicipalityStatus
from core.identity import service as identity
from core.identity.roles import Role
from core.municipalities.models import Municipality as MunicipalityRow
from core.portfolio import series
from graphql_schema.connections import connection
from graphql_schema.context import Info
from graphql_schema.files import logo_path
from graphql_schema.loaders import PLANS
from graphql_schema.plans.types import ActionPlan
from graphql_schema.relay import Connection, Node
from graphql_schema.rows import from_row


async def plans_connection(
    info: Info,
    tenant_id: object,
    first: int | None,
    after: str | None,
    status: list[ActionPlanStatus] | None,
) -> Connection[ActionPlan]:
    filters = (("status", tuple(sorted(status))),) if status else ()
    return await connection(info, PLANS, ActionPlan, tenant_id, first, after, filters)  # type: ignore[arg-type]


@strawberry.type(description="A validated diagnostic's overall score.")
class ScorePoint:
    assessed_on: date
    instrument: str
    title: str
    score: float


@strawberry.type(description="A plan's progress at the end of a month.")
class MonthProgress:
    month: str = strawberry.field(description="YYYY-MM.")
    progress: float = strawberry.field(description="0..100, as of the month's last day (UTC).")


@strawberry.type(description="A plan's progress, month by month, from its start to today.")
class PlanProgressSeries:
    plan: ActionPlan
    months: list[MonthProgress]


@strawberry.type(
    description="The municipality over time: what its portal charts and the consultancy reports."
)
class MunicipalitySeries:
    diagnostics: list[ScorePoint] = strawberry.field(
        description="Validated diagnostics, oldest first: each instrument's first is its baseline."
    )
    plan_progress: list[PlanProgressSeries] = strawberry.field(
        description="Plans published, in implementation or closed, by start date."
    )


@strawberry.type(description="A municipality: one tenant of Usina.")
class Municipality(Node):
    row: strawberry.Private[MunicipalityRow]
    slug: str
    name: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    region: str | None
    population: int | None
    website: str | None
    locale: Locale
    timezone: str
    status: MunicipalityStatus
    portal_origins: list[str] = strawberry.field(
        description="Web origins of its portals, allowed to call the API from a browser."
    )
    primary_color: str | None = strawberry.field(
        description="Its portals' primary colour (#rrggbb), legible under white text."
    )

    @strawberry.field(
        description="Its logo at a stable address (named by the image's hash: caches may "
        "keep it for ever), or null."
    )
    def logo_url(self, info: Info) -> str | None:
        if self.row.logo_sha256 is None:
            return None
        context = info.context
        base = context.settings.link_base(str(context.request.base_url))
        return base + logo_path(self.row.slug, self.row.logo_sha256)

    @strawberry.field(
        description="Action plans, newest first. The public sees no drafts. For a "
        "municipality other than the one the request is bound to (listing municipalities), "
        "they are read bound to that municipality, as a caller who may act there (a platform "
        "admin, or a consultant it was granted to; audited there as platform.bind); anyone "
        "else gets null with FORBIDDEN (TENANT_SUSPENDED for a suspended one), never an empty "
        "list."
    )
    async def action_plans(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[ActionPlanStatus] | None = None,
    ) -> Connection[ActionPlan] | None:
        context = await info.context.bound_to(self.row, info.path.as_list())
        if context is not info.context:
            info = StrawberryInfo(
                _raw_info=info._raw_info._replace(context=context), _field=info._field
            )
        return await plans_connection(info, self.row.id, first, after, status)

    @strawberry.field(
        description="The municipality over time (validated diagnostic scores; each plan's "
        "progress by month), computed from its facts. The public sees those of its published "
        "plans and validated diagnostics; its staff all. For another municipality than the "
        "request's, read bound to it like actionPlans (the consultancy's staff where they may "
        "act; FORBIDDEN otherwise)."
    )
    async def series(self, info: Info) -> MunicipalitySeries | None:
        context = await info.context.bound_to(self.row, info.path.as_list())
        today = context.today()

        async def read() -> MunicipalitySeries:
            scores = await series.diagnostic_scores(context.session)
            plans = await series.plan_progress(context.session, today)
            return MunicipalitySeries(
                diagnostics=[
                    ScorePoint(
                        assessed_on=s.assessed_on,
                        instrument=s.instrument,
                        title=s.title,
                        score=s.score,
                    )
                    for s in scores
                ],
                plan_progress=[
                    PlanProgressSeries(
                        plan=from_row(ActionPlan, p.plan),
                        months=[
                            MonthProgress(month=m.month, progress=m.progress) for m in p.months
                        ],
                    )
                    for p in plans
                ],
            )

        return await context.exclusive(read)


@strawberry.type(description="Who is asking.")
class Viewer:
    subject: str
    issuer: str | None = strawberry.field(description="Who vouched for the subject.")
    role: Role | None = strawberry.field(
        description="The role held where the request is bound (null: no role there)."
    )
    municipality: str | None = strawberry.field(description="Where the role holds.")
    client_id: str | None = strawberry.field(description="Set when an API client is calling.")
    scopes: list[str] | None = strawberry.field(description="An API client's granted scopes.")
    permissions: list[str]
    principal: strawberry.Private[Any] = None

    @strawberry.field(
        description="A consultant's municipalities (the ones granted to them), by slug; empty "
        "for everyone else (a platform admin lists all with `municipalities`)."
    )
    async def granted_municipalities(self, info: Info) -> list[str]:
        principal = self.principal
        if principal is None or principal.role is not Role.CONSULTANT:
            return []
        async with info.context.db.session(None) as session:
            return await identity.granted_slugs(session, principal.issuer or "", principal.subject)
