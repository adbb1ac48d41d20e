"""GraphQL: the consultancy's portfolio, every municipality it accompanies at a glance.

One read of the summaries the unit of work keeps (``core/portfolio``): a constant number of
statements for any number of municipalities, and no binding to any of them. Figures that
depend on the day (delays, days without a report, open channels) are derived here, in each
municipality's own time zone. Filtering, sorting and paging happen on those figures.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import ActionPlanStatus, CompletionLevel
from core.errors import BadUserInput
from core.i18n import msg
from core.identity.principal import Principal
from core.identity.roles import Permission, Role
from core.ids import to_global_id
from core.portfolio import service as portfolio
from graphql_schema.context import Info
from graphql_schema.municipalities.types import Municipality
from graphql_schema.pagination import page_size
from graphql_schema.permissions import requires
from graphql_schema.relay import Connection, PageInfo, decode_cursor
from graphql_schema.rows import from_row


@strawberry.type(description="A municipality's current plan, as the portfolio sees it.")
class PortfolioPlan:
    id: strawberry.ID
    title: str
    status: ActionPlanStatus
    progress: float = strawberry.field(description="Mean of its commitments' progress, 0..100.")
    completion_level: CompletionLevel


@strawberry.type(description="How many commitments of the plan are at a completion level.")
class LevelCount:
    level: CompletionLevel
    count: int


@strawberry.type(description="A milestone neither completed nor cancelled, and when it is due.")
class DueMilestone:
    commitment_code: str
    title: str
    due_on: date


@strawberry.type(description="The municipality's validated diagnostics with one instrument.")
class PortfolioDiagnostic:
    instrument: str
    first_score: float = strawberry.field(description="The first validated one: the baseline.")
    latest_score: float
    change: float = strawberry.field(description="latestScore - firstScore.")
    latest_on: date


@strawberry.type(description="The co-creation checklist of the current plan.")
class ChecklistState:
    met: int
    total: int


@strawberry.type(description="One municipality in the consultancy's portfolio.")
class PortfolioEntry:
    municipality: Municipality
    plan: PortfolioPlan | None = strawberry.field(
        description="The current plan: the newest in implementation, else published, else in "
        "co-creation, else a draft, else closed (archived plans never)."
    )
    commitments_by_level: list[LevelCount]
    delayed_milestones: int = strawberry.field(
        description="Open milestones past their end date (today, in the municipality's time zone)."
    )
    next_due_milestones: list[DueMilestone] = strawberry.field(
        description="The next three open milestones due from today."
    )
    last_report_at: datetime | None
    days_since_last_report: int | None = strawberry.field(
        description="Days since the last progress report; null when none was ever made."
    )
    diagnostic: PortfolioDiagnostic | None
    checklist: ChecklistState | None = strawberry.field(
        description="Null when no enabled plugin keeps a co-creation checklist."
    )
    open_channels: int = strawberry.field(description="The current plan's channels open now.")
    unanswered_contributions: int = strawberry.field(
        description="Published proposals waiting for a reasoned response."
    )
    summarized_at: datetime | None = strawberry.field(
        description="When the figures were last computed (at the municipality's last change)."
    )


@strawberry.enum(description="What the portfolio is sorted by (nulls last either way).")
class PortfolioOrder(Enum):
    NAME = "name"
    COUNTRY = "country"
    PLAN_STATUS = "plan_status"
    PLAN_PROGRESS = "plan_progress"
    DELAYED_MILESTONES = "delayed"
    DAYS_SINCE_LAST_REPORT = "silent_days"
    NEXT_DUE = "next_due"
    DIAGNOSTIC_SCORE = "diagnostic_score"
    DIAGNOSTIC_CHANGE = "diagnostic_change"
    CHECKLIST_MET = "checklist_met"
    OPEN_CHANNELS = "open_channels"
    UNANSWERED_CONTRIBUTIONS = "unanswered"


@strawberry.input(description="Which municipalities of the portfolio to show (all must hold).")
class PortfolioFilter:
    countries: list[str] | None = strawberry.field(default=None, description="ISO alpha-2.")
    plan_statuses: list[ActionPlanStatus] | None = None
    has_delays: bool | None = None
    silent_for_days: int | None = strawberry.field(
        default=None,
        description="No progress report for at least this many days (or never).",
    )


class _Line:
    """One municipality's figures, computed when a filter, the order or the page asks for
    them: a thousand municipalities are filtered and sorted, fifty are shown."""

    def __init__(self, row: Any, summary: Any, now: datetime) -> None:
        self.row, self.summary, self.now = row, summary, now
        self.today = now.astimezone(_zone(row.timezone)).date()
        self._figures: dict[str, Any] = {}

    def figure(self, name: str) -> Any:
        if name not in self._figures:
            self._figures[name] = self._compute(name)
        return self._figures[name]

    def _compute(self, name: str) -> Any:
        row, summary = self.row, self.summary
        if name in ("name", "country"):
            return getattr(row, name)
        if summary is None:  # not summarised yet: no change since the portfolio existed
            return 0 if name == "delayed" else None
        if name == "plan_status":
            return summary.plan_status.value if summary.plan_status else None
        if name == "plan_progress":
            return summary.plan_progress
        if name == "delayed":
            return portfolio.delayed_count(summary, self.today)
        if name == "silent_days":
            return portfolio.days_since(summary.last_report_at, self.today)
        if name == "next_due":
            return portfolio.next_due_on(summary, self.today)
        if name == "diagnostic_score":
            return summary.diagnostic_latest_score
        if name == "diagnostic_change":
            first, latest = summary.diagnostic_first_score, summary.diagnostic_latest_score
            return None if first is None or latest is None else round(latest - first, 2)
        if name == "checklist_met":
            return summary.checklist_met if summary.checklist_total is not None else None
        if name == "open_channels":
            return portfolio.open_channels(summary, self.now)
        if name == "unanswered":
            return summary.unanswered_contributions
        raise KeyError(name)


_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


def _entry(line: _Line) -> PortfolioEntry:
    summary = line.summary
    municipality = from_row(Municipality, line.row)
    if summary is None:
        return PortfolioEntry(
            municipality=municipality, plan=None, commitments_by_level=_levels({}),
            delayed_milestones=0, next_due_milestones=[], last_report_at=None,
            days_since_last_report=None, diagnostic=None, checklist=None, open_channels=0,
            unanswered_contributions=0, summarized_at=None,
        )  # fmt: skip
    plan = None
    if summary.plan_id is not None:
        plan = PortfolioPlan(
            id=strawberry.ID(to_global_id("ActionPlan", summary.plan_id)),
            title=summary.plan_title or "",
            status=summary.plan_status or ActionPlanStatus.DRAFT,
            progress=summary.plan_progress or 0.0,
            completion_level=summary.plan_completion or CompletionLevel.NOT_STARTED,
        )
    diagnostic = None
    if summary.diagnostic_instrument is not None:
        diagnostic = PortfolioDiagnostic(
            instrument=summary.diagnostic_instrument,
            first_score=summary.diagnostic_first_score or 0.0,
            latest_score=summary.diagnostic_latest_score or 0.0,
            change=line.figure("diagnostic_change") or 0.0,
            latest_on=summary.diagnostic_latest_on or line.today,
        )
    checklist = None
    if summary.checklist_total is not None:
        checklist = ChecklistState(met=summary.checklist_met or 0, total=summary.checklist_total)
    return PortfolioEntry(
        municipality=municipality,
        plan=plan,
        commitments_by_level=_levels(summary.commitments_by_level),
        delayed_milestones=line.figure("delayed"),
        next_due_milestones=[
            DueMilestone(commitment_code=d.commitment_code, title=d.title, due_on=d.due_on)
            for d in portfolio.next_due(summary, line.today)
        ],
        last_report_at=summary.last_report_at,
        days_since_last_report=line.figure("silent_days"),
        diagnostic=diagnostic,
        checklist=checklist,
        open_channels=line.figure("open_channels"),
        unanswered_contributions=summary.unanswered_contributions,
        summarized_at=summary.computed_at,
    )


def _levels(counts: dict[str, Any]) -> list[LevelCount]:
    return [
        LevelCount(level=level, count=int(counts.get(level.value, 0))) for level in CompletionLevel
    ]


def _keep(line: _Line, where: PortfolioFilter | None) -> bool:
    if where is None:
        return True
    if where.countries is not None and line.figure("country") not in {
        c.upper() for c in where.countries
    }:
        return False
    if where.plan_statuses is not None and line.figure("plan_status") not in {
        status.value for status in where.plan_statuses
    }:
        return False
    if where.has_delays is not None and (line.figure("delayed") > 0) != where.has_delays:
        return False
    if where.silent_for_days is not None:
        silent = line.figure("silent_days")
        if silent is not None and silent < where.silent_for_days:
            return False
    return True


def _check(where: PortfolioFilter | None) -> None:
    if where is not None and where.silent_for_days is not None and where.silent_for_days < 0:
        raise BadUserInput(
            msg(
                "silentForDays cannot be negative.",
                "silentForDays no puede ser negativo.",
                "silentForDays não pode ser negativo.",
            ),
            field="filter.silentForDays",
        )


def _sorted(lines: list[_Line], order: PortfolioOrder, descending: bool) -> list[_Line]:
    key = order.value
    by_name = sorted(lines, key=lambda line: (line.row.name, line.row.slug))
    present = [line for line in by_name if line.figure(key) is not None]
    absent = [line for line in by_name if line.figure(key) is None]
    present.sort(key=lambda line: line.figure(key), reverse=descending)  # names break ties
    return present + absent


async def portfolio_lines(
    session: AsyncSession,
    principal: Principal,
    where: PortfolioFilter | None,
    order: PortfolioOrder,
    descending: bool,
) -> list[_Line]:
    """The municipalities ``principal`` accompanies (a platform admin: all; a consultant: those
    granted), filtered and sorted: one statement."""
    _check(where)
    consultant = (
        (principal.issuer or "", principal.subject) if principal.role is Role.CONSULTANT else None
    )
    rows = await portfolio.summaries(session, consultant)
    now = datetime.now(UTC)
    lines = [line for line in (_Line(r, s, now) for r, s in rows) if _keep(line, where)]
    return _sorted(lines, order, descending)


@strawberry.type
class PortfolioQueries:
    @strawberry.field(
        description="The consultancy's portfolio: per municipality its current plan, "
        "commitments by completion level, delays, days without a report, the next milestones "
        "due, its diagnostic score and change since the baseline, the co-creation checklist, "
        "open channels and unanswered contributions. A platform admin sees every municipality, "
        "a consultant those granted to them. Filtered and sorted by any figure; paged.",
        permission_classes=[requires(Permission.READ_PORTFOLIO)],
    )
    async def portfolio(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PortfolioFilter | None = None,
        order_by: PortfolioOrder = PortfolioOrder.NAME,
        descending: bool = False,
    ) -> Connection[PortfolioEntry]:
        context = info.context
        principal = context.principal
        _check(filter)
        first = page_size(first, context.settings.max_page_size)
        start = int(decode_cursor(after, (int,))[0]) + 1 if after else 0
        lines = await context.exclusive(
            lambda: portfolio_lines(context.session, principal, filter, order_by, descending)
        )
        page = lines[start : start + first]
        keys = [(start + i,) for i in range(len(page))]
        total = len(lines)
        return Connection(
            items=[_entry(line) for line in page],
            keys=keys,
            page_info=PageInfo(
                has_next_page=start + first < total,
                has_previous_page=start > 0,
                start_key=keys[0] if keys else None,
                end_key=keys[-1] if keys else None,
            ),
            count=lambda: total,
        )
