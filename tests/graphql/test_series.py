"""A municipality over time (issue 17): its validated diagnostic scores and each plan's progress
by month, from the facts; on its own portal for the public, and across municipalities for the
consultancy's staff where they may act. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from core.diagnostics.models import Assessment
from core.enums import AssessmentStatus, MilestoneStatus
from core.identity.tokens import TokenService
from core.plans import service as plans
from core.progress.models import ProgressReport
from tenants.context import TenantBinding
from tenants.database import Database
from tests.factories import (
    END,
    GRANTED_CONSULTANT,
    START,
    SYSTEM,
    build_tenant,
    error_codes,
    gql,
    new_municipality,
)

SERIES = """{ municipality { series { diagnostics { assessedOn instrument score }
  planProgress { plan { title } months { month progress } } } } }"""
ACROSS = """query($after: String) { municipalities(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { slug series { diagnostics { score }
  planProgress { plan { title } months { progress } } } } } }"""


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


async def test_a_plans_progress_by_month_and_the_diagnostic_scores_come_from_the_facts(
    client: httpx.AsyncClient, db: Database, tokens: TokenService
) -> None:
    tenant = await build_tenant(db, "sr")
    now = datetime.now(UTC)
    earlier = now - timedelta(days=62)
    async with db.session(tenant.binding) as session:
        session.add(  # an earlier report, as it was made then (append-only, back-dated here)
            ProgressReport(
                plan_id=tenant.plan_id,
                milestone_id=tenant.milestone_id,
                percent=10,
                status=MilestoneStatus.IN_PROGRESS,
                author_subject="ed",
                reported_at=earlier,
            )
        )
        validated = (
            await session.execute(
                select(Assessment.assessed_on, Assessment.overall_score).where(
                    Assessment.status == AssessmentStatus.VALIDATED
                )
            )
        ).one()
    admin = tokens.issue(subject="admin-sr", role="tenant_admin", tenant=tenant.slug)
    answer = await gql(client, SERIES, token=admin, tenant=tenant.slug)
    assert error_codes(answer) == [], answer
    series = answer["data"]["municipality"]["series"]
    assert series["diagnostics"] == [
        {
            "assessedOn": validated.assessed_on.isoformat(),
            "instrument": "transparency_index",
            "score": validated.overall_score,
        }
    ]
    (plan,) = series["planProgress"]  # the published plan; the draft has no series
    assert plan["plan"]["title"] == "Plan sr"
    months = {m["month"]: m["progress"] for m in plan["months"]}
    assert next(iter(months)) == month_of(datetime.combine(START, datetime.min.time()))
    assert list(months)[-1] == month_of(now)
    # One commitment with one milestone: the plan's progress is that milestone's latest report.
    for month, progress in months.items():
        if month < month_of(earlier):
            assert progress == 0.0, month
        elif month < month_of(now):
            assert progress == 10.0, month
        else:
            assert progress == 30.0, month
    # The public sees the same series of what is public.
    public = await gql(client, SERIES, tenant=tenant.slug)
    assert public["data"]["municipality"]["series"] == series


async def test_the_consultancy_reads_series_where_it_may_act_and_never_elsewhere(
    client: httpx.AsyncClient, db: Database, tokens: TokenService
) -> None:
    granted = await build_tenant(db, "sg")
    other = await new_municipality(db, "sx")
    async with db.session(TenantBinding(other.id, other.slug, sees_drafts=True)) as session:
        await plans.create(
            session, SYSTEM, plans.PlanData(title="Ajeno", start_date=START, end_date=END)
        )
    root = tokens.issue(subject="root", role="platform_admin", tenant=None)
    consultant = tokens.issue(subject=GRANTED_CONSULTANT, role="consultant", tenant=None)
    for token, sees_other in ((root, True), (consultant, False)):
        nodes: dict[str, dict] = {}
        errors: dict[str, str] = {}
        after = None
        while True:  # every page: other tests' municipalities are there too
            answer = await gql(client, ACROSS, {"after": after}, token=token)
            page = answer["data"]["municipalities"]
            nodes |= {n["slug"]: n for n in page["nodes"]}
            errors |= {
                page["nodes"][e["path"][2]]["slug"]: e["extensions"]["code"]
                for e in answer.get("errors") or []
            }
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert nodes[granted.slug]["series"]["planProgress"][0]["plan"]["title"] == "Plan sg"
        if sees_other:
            assert nodes[other.slug]["series"] == {"diagnostics": [], "planProgress": []}
        else:
            assert nodes[other.slug]["series"] is None
            assert errors[other.slug] == "FORBIDDEN"
