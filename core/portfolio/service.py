"""Computing a municipality's summary (in its own transaction, bound to it) and reading the
portfolio of many (one statement, no binding).

``compute`` reads with Core statements on the tables, filtered by ``tenant_id``: the summary
is the same whoever wrote (a participant's contribution and an editor's report see the same
plan), and row-level security still applies on PostgreSQL. It runs after every commit of the
municipality's content (``plugins/portfolio.py``), from one snapshot, and ``store`` keeps the
summary of the newest data version.
"""

from __future__ import annotations

import bisect
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.commitments.models import Commitment
from core.diagnostics.models import Assessment
from core.enums import (
    ActionPlanStatus,
    AssessmentStatus,
    ContributionKind,
    MilestoneStatus,
    Moderation,
)
from core.milestones.models import FINISHED, Milestone
from core.participation.models import Channel, Contribution
from core.plans.models import ActionPlan
from core.portfolio.models import MunicipalitySummary
from core.progress import rollup
from core.progress.models import ProgressReport

#: ``(session, plan_id) -> (met, total)`` of the plan's co-creation checklist, or ``None`` when
#: no enabled plugin checks one (given by the plugins' layer).
Checklist = Callable[[AsyncSession, uuid.UUID], Awaitable[tuple[int, int] | None]]


#: Which plan is a municipality's current one: the first status found in this order, the
#: newest plan of it (a plan being implemented while the next one is co-created is current).
CURRENT_FIRST = {
    ActionPlanStatus.IMPLEMENTATION: 0,
    ActionPlanStatus.PUBLISHED: 1,
    ActionPlanStatus.COCREATION: 2,
    ActionPlanStatus.DRAFT: 3,
    ActionPlanStatus.CLOSED: 4,
}


async def _current_plan(session: AsyncSession, tenant_id: uuid.UUID) -> Any:
    plans = ActionPlan.__table__
    return (
        await session.execute(
            select(plans.c.id, plans.c.title, plans.c.status)
            .where(plans.c.tenant_id == tenant_id, plans.c.status != ActionPlanStatus.ARCHIVED)
            .order_by(
                case(CURRENT_FIRST, value=plans.c.status, else_=len(CURRENT_FIRST)),
                plans.c.start_date.desc(),
                plans.c.created_at.desc(),
            )
            .limit(1)
        )
    ).first()


async def compute(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    data_version: int,
    checklist: Checklist | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The summary row's values for the municipality the session is bound to."""
    now = now or datetime.now(UTC)
    values: dict[str, Any] = {
        "municipality_id": tenant_id,
        "data_version": data_version,
        "computed_at": now,
        "plan_id": None,
        "plan_title": None,
        "plan_status": None,
        "plan_progress": None,
        "plan_completion": None,
        "commitments_by_level": {},
        "open_milestones": [],
        "open_due_dates": "",
        "completed_milestones": [],
        "checklist_met": None,
        "checklist_total": None,
        "channel_windows": [],
        "unanswered_contributions": 0,
    }
    plan = await _current_plan(session, tenant_id)
    if plan is not None:
        values |= await _plan_figures(session, tenant_id, plan, now)
        if checklist is not None:
            state = await checklist(session, plan.id)
            if state is not None:
                values["checklist_met"], values["checklist_total"] = state
    reports = ProgressReport.__table__
    values["last_report_at"] = await session.scalar(
        select(func.max(reports.c.reported_at)).where(reports.c.tenant_id == tenant_id)
    )
    values |= await _diagnostic(session, tenant_id)
    return values


async def _plan_figures(
    session: AsyncSession, tenant_id: uuid.UUID, plan: Any, now: datetime
) -> dict[str, Any]:
    commitments, milestones = Commitment.__table__, Milestone.__table__
    rows = (
        await session.execute(
            select(
                commitments.c.id,
                commitments.c.code,
                milestones.c.title,
                milestones.c.weight,
                milestones.c.progress,
                milestones.c.status,
                milestones.c.end_date,
                milestones.c.last_reported_at,
            )
            .select_from(commitments)
            .outerjoin(
                milestones,
                (milestones.c.tenant_id == commitments.c.tenant_id)
                & (milestones.c.commitment_id == commitments.c.id),
            )
            .where(commitments.c.tenant_id == tenant_id, commitments.c.plan_id == plan.id)
            .order_by(commitments.c.code, milestones.c.end_date, milestones.c.title)
        )
    ).all()
    figures: dict[uuid.UUID, list[rollup.MilestoneFigure]] = {}
    open_milestones: list[list[Any]] = []
    completed: list[list[Any]] = []
    for row in rows:
        figures.setdefault(row.id, [])
        if row.title is None:  # a commitment without milestones
            continue
        figures[row.id].append(rollup.MilestoneFigure(row.weight, row.progress, row.status))
        if row.status not in FINISHED:
            open_milestones.append([row.end_date.isoformat(), row.code, row.title])
        elif row.status is MilestoneStatus.COMPLETED:
            reported = row.last_reported_at
            completed.append([row.code, row.title, reported.isoformat() if reported else None])
    progresses = [rollup.commitment_progress(f) for f in figures.values()]
    plan_progress = rollup.plan_progress(progresses)
    levels = Counter(rollup.completion_level(p).value for p in progresses)
    channels, contributions = Channel.__table__, Contribution.__table__
    windows = (
        await session.execute(
            select(channels.c.opens_at, channels.c.closes_at)
            .where(
                channels.c.tenant_id == tenant_id,
                channels.c.plan_id == plan.id,
                channels.c.closes_at > now,
            )
            .order_by(channels.c.opens_at)
        )
    ).all()
    unanswered = await session.scalar(
        select(func.count()).where(
            contributions.c.tenant_id == tenant_id,
            contributions.c.plan_id == plan.id,
            contributions.c.kind == ContributionKind.PROPOSAL,
            contributions.c.moderation == Moderation.PUBLISHED,
            contributions.c.outcome.is_(None),
        )
    )
    return {
        "plan_id": plan.id,
        "plan_title": plan.title,
        "plan_status": plan.status,
        "plan_progress": plan_progress,
        "plan_completion": rollup.completion_level(plan_progress),
        "commitments_by_level": dict(sorted(levels.items())),
        "open_milestones": sorted(open_milestones),
        "open_due_dates": ",".join(sorted(due for due, _, _ in open_milestones)),
        "completed_milestones": completed,
        "channel_windows": [[w.opens_at.isoformat(), w.closes_at.isoformat()] for w in windows],
        "unanswered_contributions": int(unanswered or 0),
    }


async def _diagnostic(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    assessments = Assessment.__table__
    validated = (
        await session.execute(
            select(assessments.c.instrument, assessments.c.overall_score, assessments.c.assessed_on)
            .where(
                assessments.c.tenant_id == tenant_id,
                assessments.c.status == AssessmentStatus.VALIDATED,
                assessments.c.overall_score.is_not(None),
            )
            .order_by(assessments.c.assessed_on, assessments.c.validated_at)
        )
    ).all()
    if not validated:
        return {
            "diagnostic_instrument": None,
            "diagnostic_first_score": None,
            "diagnostic_latest_score": None,
            "diagnostic_latest_on": None,
        }
    latest = validated[-1]
    same = [row for row in validated if row.instrument == latest.instrument]
    return {
        "diagnostic_instrument": latest.instrument,
        "diagnostic_first_score": same[0].overall_score,
        "diagnostic_latest_score": latest.overall_score,
        "diagnostic_latest_on": latest.assessed_on,
    }


async def store(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or replace the municipality's summary row."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MunicipalitySummary).values(values)
    changed = {key: statement.excluded[key] for key in values if key != "municipality_id"}
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["municipality_id"],
            set_=changed,
            # a summary of an older version never replaces a newer one (concurrent writers)
            where=MunicipalitySummary.data_version <= statement.excluded.data_version,
        )
    )


async def refresh(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    data_version: int,
    checklist: Checklist | None = None,
) -> None:
    await store(session, await compute(session, tenant_id, data_version, checklist))


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    due_on: date
    commitment_code: str
    title: str


def delayed_count(summary: Any, today: date) -> int:
    """Open milestones past their end date (``Milestone.is_delayed_on``'s rule), counted on the
    sorted ISO dates (which sort as the dates do): no JSON to decode."""
    dates = summary.open_due_dates.split(",") if summary.open_due_dates else []
    return bisect.bisect_left(dates, today.isoformat())


def next_due(summary: Any, today: date, count: int = 3) -> list[Due]:
    day = today.isoformat()
    return [
        Due(date.fromisoformat(d), code, title)
        for d, code, title in summary.open_milestones
        if d >= day
    ][:count]


def next_due_on(summary: Any, today: date) -> str | None:
    """The ISO date of the next open milestone due from today, if any."""
    dates = summary.open_due_dates.split(",") if summary.open_due_dates else []
    at = bisect.bisect_left(dates, today.isoformat())
    return dates[at] if at < len(dates) else None


def open_channels(summary: Any, now: datetime) -> int:
    """Channels open at ``now`` (UTC ISO timestamps compare as the instants do)."""
    moment = now.astimezone(UTC).isoformat()
    return sum(1 for opens, closes in summary.channel_windows if opens <= moment < closes)


def days_since(moment: datetime | None, today: date) -> int | None:
    return None if moment is None else (today - moment.date()).days


#: The summary's JSON columns, read as text and decoded only when a figure needs them.
LAZY_JSON = ("commitments_by_level", "open_milestones", "completed_milestones", "channel_windows")


class SummaryRow:
    """A summary as the portfolio reads it: plain attributes, JSON decoded on first use."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for the JSON ones not decoded yet
        raw = self.__dict__.get(f"_json_{name}", _MISSING)
        if raw is _MISSING:
            raise AttributeError(name)
        value = json.loads(raw) if raw is not None else None
        setattr(self, name, value)
        return value


_MISSING = object()


async def summaries(
    session: AsyncSession, consultant: tuple[str, str] | None = None
) -> list[tuple[Any, Any]]:
    """Every municipality with its summary (``None`` when it has none yet), in one statement;
    for a consultant (``(issuer, subject)``), only the municipalities granted to them.

    Core rows, not ORM entities (a thousand municipalities cost a thousand rows, not two
    thousand identity-mapped objects); each summary is a namespace with the model's names."""
    from core.identity.models import ConsultantGrant, Person
    from core.municipalities.models import Municipality

    towns, lines = Municipality.__table__, MunicipalitySummary.__table__
    names = [column.name for column in lines.c if column.name not in LAZY_JSON]
    summary_columns = [
        cast(column, Text).label(f"summary__json_{column.name}")
        if column.name in LAZY_JSON
        else column.label(f"summary_{column.name}")
        for column in lines.c
    ]
    statement = (
        select(*towns.c, *summary_columns)
        .select_from(towns.outerjoin(lines, lines.c.municipality_id == towns.c.id))
        .order_by(towns.c.slug)
    )
    if consultant is not None:
        issuer, subject = consultant
        granted = (
            select(ConsultantGrant.__table__.c.municipality_id)
            .join(Person.__table__, Person.__table__.c.id == ConsultantGrant.__table__.c.person_id)
            .where(Person.__table__.c.issuer == issuer, Person.__table__.c.subject == subject)
        )
        statement = statement.where(towns.c.id.in_(granted))
    out: list[tuple[Any, Any]] = []
    for row in await session.execute(statement):
        values = row._mapping
        summary = None
        if values["summary_municipality_id"] is not None:
            fields = {name: values[f"summary_{name}"] for name in names}
            fields |= {f"_json_{name}": values[f"summary__json_{name}"] for name in LAZY_JSON}
            summary = SummaryRow(fields)
        out.append((row, summary))
    return out
