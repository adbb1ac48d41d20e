"""The consultancy's portfolio (issue 17): hand-computed figures for three municipalities, kept
current by the unit of work; a constant number of statements for 1, 50 and 500
municipalities; who may see which municipality. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from core.diagnostics import service as diagnostics
from core.diagnostics.models import Assessment
from core.enums import AssessmentStatus
from core.identity.tokens import TokenService
from core.municipalities.models import Municipality
from core.portfolio.models import MunicipalitySummary
from core.progress import service as progress
from plugins.portfolio import refresh
from tenants.database import Database
from tests.conftest import StatementCounter, unique_slug
from tests.factories import (
    END,
    GRANTED_CONSULTANT,
    REGISTRY,
    SYSTEM,
    TODAY,
    Tenant,
    add_overdue_milestone,
    build_tenant,
    error_codes,
    gql,
    new_municipality,
)

PORTFOLIO = """query($first: Int, $after: String, $filter: PortfolioFilter, $order: PortfolioOrder,
  $descending: Boolean) {
  portfolio(first: $first, after: $after, filter: $filter, orderBy: $order, descending: $descending) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { municipality { slug country }
      plan { id title status progress completionLevel }
      commitmentsByLevel { level count }
      delayedMilestones nextDueMilestones { commitmentCode title dueOn }
      daysSinceLastReport diagnostic { instrument firstScore latestScore change }
      checklist { met total } openChannels unansweredContributions } } }"""
CHECKLIST = "query($p: ID!) { cocreationChecklist(actionPlanId: $p) { metCount total } }"
REPORT = (
    "mutation($m: ID!) { reportProgress(input: {milestoneId: $m, percent: 90, "
    'narrative: "Casi listo"}) { report { id } } }'
)


async def summarize(db: Database, tenant: Tenant) -> None:
    """What the unit of work does after every write (the factories write without one)."""
    await refresh(db, REGISTRY, tenant.binding)


async def entries(client: httpx.AsyncClient, token: str, **variables: Any) -> dict[str, Any]:
    """Every page of the portfolio, by slug (other tests' municipalities are there too)."""
    found: dict[str, Any] = {}
    after = None
    while True:
        answer = await gql(client, PORTFOLIO, {"first": 100, "after": after, **variables},
                           token=token)  # fmt: skip
        assert error_codes(answer) == [], answer
        page = answer["data"]["portfolio"]
        for node in page["nodes"]:
            found[node["municipality"]["slug"]] = node
        if not page["pageInfo"]["hasNextPage"]:
            assert len(found) == page["totalCount"]
            return found
        after = page["pageInfo"]["endCursor"]


async def three(db: Database) -> tuple[Tenant, Tenant, Municipality]:
    """A: its commitment has a second milestone, overdue, and a later diagnostic; B: its one
    milestone completed; C: no plan, nothing granted."""
    a, b = await build_tenant(db, "pa"), await build_tenant(db, "pb")
    await add_overdue_milestone(db, a)
    async with db.session(a.binding) as session:
        _, index = REGISTRY.instruments["transparency_index"]
        later = await diagnostics.start(session, SYSTEM, index, "Seguimiento", TODAY)
        await diagnostics.answer(
            session, SYSTEM, index, later.id,
            [diagnostics.AnswerData("A1", "YES"), diagnostics.AnswerData("A2", "YES")],
        )  # fmt: skip
        for status in (AssessmentStatus.SUBMITTED, AssessmentStatus.VALIDATED):
            await diagnostics.transition(session, SYSTEM, later.id, status)
    async with db.session(b.binding) as session:
        await progress.report(
            session, SYSTEM, progress.ReportData(milestone_id=b.milestone_id, percent=100)
        )
    for tenant in (a, b):
        await summarize(db, tenant)
    c = await new_municipality(db, "pc")
    return a, b, c


async def scores(db: Database, tenant: Tenant) -> list[float]:
    async with db.session(tenant.binding) as session:
        found = await session.execute(
            select(Assessment.overall_score)
            .where(Assessment.status == AssessmentStatus.VALIDATED)
            .order_by(Assessment.assessed_on, Assessment.validated_at)
        )
        return [float(s) for s in found.scalars()]


async def test_the_portfolio_has_the_hand_computed_figures_and_follows_each_write(
    client: httpx.AsyncClient, db: Database, tokens: TokenService
) -> None:
    a, b, c = await three(db)
    root = tokens.issue(subject="root", role="platform_admin", tenant=None)
    seen = await entries(client, root)
    first, latest = await scores(db, a)
    assert seen[a.slug]["plan"] == {
        "id": a.gid("ActionPlan"),
        "title": "Plan pa",  # published: the draft beside it is not the current plan
        "status": "PUBLISHED",
        "progress": 15.0,  # (30 + 0) / 2
        "completionLevel": "LIMITED",
    }
    levels = {x["level"]: x["count"] for x in seen[a.slug]["commitmentsByLevel"]}
    assert levels == {"NOT_STARTED": 0, "LIMITED": 1, "SUBSTANTIAL": 0, "COMPLETE": 0}
    assert seen[a.slug]["delayedMilestones"] == 1
    assert seen[a.slug]["nextDueMilestones"] == [
        {"commitmentCode": "1", "title": "Hito", "dueOn": END.isoformat()}
    ]
    assert seen[a.slug]["daysSinceLastReport"] == 0
    assert seen[a.slug]["diagnostic"] == {
        "instrument": "transparency_index",
        "firstScore": first,
        "latestScore": latest,
        "change": round(latest - first, 2),
    }
    assert latest > first
    assert (seen[a.slug]["openChannels"], seen[a.slug]["unansweredContributions"]) == (2, 1)
    admin = tokens.issue(subject="admin-pa", role="tenant_admin", tenant=a.slug)
    own = await gql(client, CHECKLIST, {"p": a.gid("ActionPlan")}, token=admin)
    checklist = own["data"]["cocreationChecklist"]
    assert seen[a.slug]["checklist"] == {"met": checklist["metCount"], "total": checklist["total"]}
    assert seen[b.slug]["plan"]["progress"] == 100.0
    assert seen[b.slug]["plan"]["completionLevel"] == "COMPLETE"
    assert (seen[b.slug]["delayedMilestones"], seen[b.slug]["nextDueMilestones"]) == (0, [])
    assert seen[c.slug]["plan"] is None and seen[c.slug]["delayedMilestones"] == 0

    # A report through GraphQL commits through the unit of work: the next read shows it.
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    reported = await gql(client, REPORT, {"m": a.gid("Milestone")}, token=editor)
    assert error_codes(reported) == [], reported
    after = (await entries(client, root))[a.slug]
    assert after["plan"]["progress"] == 45.0  # (90 + 0) / 2
    assert after["delayedMilestones"] == 1

    # Filters and sorting, on the same figures.
    delayed = await entries(client, root, filter={"hasDelays": True})
    assert a.slug in delayed and b.slug not in delayed and c.slug not in delayed
    uruguay = await entries(client, root, filter={"countries": ["uy"]})
    assert a.slug not in uruguay  # the factories' municipalities are in AR
    bad = await gql(client, PORTFOLIO, {"filter": {"silentForDays": -1}}, token=root)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    ordered = await gql(
        client, PORTFOLIO, {"first": 100, "order": "PLAN_PROGRESS", "descending": True},
        token=root,
    )  # fmt: skip
    progresses = [n["plan"]["progress"] for n in ordered["data"]["portfolio"]["nodes"] if n["plan"]]
    assert progresses == sorted(progresses, reverse=True)


async def test_who_sees_which_municipality_in_the_portfolio(
    client: httpx.AsyncClient, db: Database, tokens: TokenService
) -> None:
    a, b, c = await three(db)
    consultant = tokens.issue(subject=GRANTED_CONSULTANT, role="consultant", tenant=None)
    mine = await entries(client, consultant)
    assert {a.slug, b.slug} <= set(mine) and c.slug not in mine
    elsewhere = tokens.issue(subject="consultant-elsewhere", role="consultant", tenant=None)
    assert await entries(client, elsewhere) == {}
    for role in ("tenant_admin", "editor", "reviewer", "participant"):
        token = tokens.issue(subject=f"{role}-pa", role=role, tenant=a.slug)
        assert error_codes(await gql(client, PORTFOLIO, token=token)) == ["FORBIDDEN"]
    anonymous = await gql(client, PORTFOLIO, tenant=a.slug)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def add_municipalities(db: Database, count: int) -> None:
    """``count`` municipalities with a summary each, written directly (fast)."""
    if not count:
        return
    now = datetime.now(UTC)
    towns = [
        {"id": uuid.uuid4(), "slug": unique_slug("bulk"), "name": "Bulk", "country": "AR",
         "data_version": 1, "portal_origins": []}
        for _ in range(count)
    ]  # fmt: skip
    summaries = [
        {
            "municipality_id": town["id"], "data_version": 1, "computed_at": now,
            "plan_id": uuid.uuid4(), "plan_title": "Plan", "plan_status": "IMPLEMENTATION",
            "plan_progress": 40.0, "plan_completion": "LIMITED",
            "commitments_by_level": {"LIMITED": 2}, "unanswered_contributions": 0,
            "open_milestones": [[(TODAY - timedelta(days=3)).isoformat(), "1", "Hito"]],
            "completed_milestones": [], "channel_windows": [], "last_report_at": now,
        }
        for town in towns
    ]  # fmt: skip
    async with db.session(None) as session:
        await session.execute(insert(Municipality), towns)
        await session.execute(insert(MunicipalitySummary), summaries)


async def test_the_portfolio_costs_the_same_statements_for_1_50_and_500_municipalities(
    client: httpx.AsyncClient,
    db: Database,
    tokens: TokenService,
    count_statements: StatementCounter,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The app rereads its signing keys every minute (``key_refresh_seconds``): on a slow
    # machine that moment can fall inside a counted request. Not what this test counts.
    monkeypatch.setattr(app.state.tokens, "refresh_seconds", 3600.0)
    root = tokens.issue(subject="root", role="platform_admin", tenant=None)
    consultant = tokens.issue(subject=GRANTED_CONSULTANT, role="consultant", tenant=None)
    counts: dict[str, list[int]] = {"root": [], "consultant": []}
    for token in (root, consultant):  # the issuer's keys are read once, on the first request
        await gql(client, PORTFOLIO, {"first": 1}, token=token)
    for added in (1, 49, 450):  # n + 1, n + 50, n + 500 municipalities (n: other tests)
        await add_municipalities(db, added)
        for who, token in (("root", root), ("consultant", consultant)):
            # Not counted: a pooled connection idle for over 2 s (a slow insert of 450
            # municipalities, on Citus say) is pinged once before use.
            await gql(client, PORTFOLIO, {"first": 1}, token=token)
            count_statements.statements.clear()
            answer = await gql(client, PORTFOLIO, {"first": 100}, token=token)
            assert error_codes(answer) == [], answer
            assert answer["data"]["portfolio"]["totalCount"] >= (1 if who == "root" else 0)
            counts[who].append(count_statements.count)
    assert len(set(counts["root"])) == 1, counts
    assert len(set(counts["consultant"])) == 1, counts


async def test_the_portfolio_exports_as_csv_and_xlsx_in_the_callers_language(
    client: httpx.AsyncClient, db: Database, tokens: TokenService
) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    a, b, c = await three(db)
    root = tokens.issue(subject="root", role="platform_admin", tenant=None)
    consultant = tokens.issue(subject=GRANTED_CONSULTANT, role="consultant", tenant=None)

    def auth(token: str, language: str = "es") -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept-Language": language}

    answer = await client.get(
        "/portfolio.csv",
        params={"hasDelays": "true", "orderBy": "DELAYED_MILESTONES", "descending": "true"},
        headers=auth(root),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header, lines = rows[0], {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert header[:3] == ["Municipio", "Identificador", "País"]
    assert a.slug in lines and b.slug not in lines and c.slug not in lines  # delays only
    assert lines[a.slug]["Hitos demorados"] == "1"
    assert lines[a.slug]["Avance del plan (%)"] == "15.0"
    assert lines[a.slug]["Compromisos: limitados"] == "1"
    # Words in the reader's language, never codes (issue 33).
    assert lines[a.slug]["Estado del plan"] == "Publicado", lines[a.slug]
    assert lines[a.slug]["Nivel de cumplimiento"] == "Limitado"
    codes = {"IMPLEMENTATION", "PUBLISHED", "LIMITED", "NOT_STARTED", "transparency_index"}
    assert not codes & {cell for row in rows[1:] for cell in row}
    # As Excel opens a CSV in Spanish: ; between columns, a decimal comma.
    excel = await client.get(
        "/portfolio.csv", params={"hasDelays": "true", "dialect": "excel"}, headers=auth(root)
    )
    excel_rows = list(csv.reader(io.StringIO(excel.content.decode("utf-8-sig")), delimiter=";"))
    assert excel_rows[0] == header
    by_slug = {row[1]: dict(zip(header, row, strict=True)) for row in excel_rows[1:]}
    assert by_slug[a.slug]["Avance del plan (%)"] == "15,0"
    refused = await client.get("/portfolio.csv", params={"dialect": "x"}, headers=auth(root))
    assert refused.status_code == 400

    book = await client.get("/portfolio.xlsx", headers=auth(consultant, "pt"))
    assert book.status_code == 200, book.text
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Município", "Identificador", "País")
    slugs = {row[1] for row in values[1:]}
    assert {a.slug, b.slug} <= slugs and c.slug not in slugs  # granted ones only
    assert not codes & {cell for row in values[1:] for cell in row}

    editor = tokens.issue(subject="ed", role="tenant_admin", tenant=a.slug)
    for headers, status, code in (
        ({"Accept-Language": "en"}, 401, "UNAUTHENTICATED"),
        (auth(editor, "en"), 403, "FORBIDDEN"),
    ):
        refused = await client.get("/portfolio.csv", headers=headers)
        assert refused.status_code == status
        assert refused.json()["errors"][0]["extensions"]["code"] == code
    for path, params, status, code in (
        ("/portfolio.csv", {"orderBy": "SIZE"}, 400, "BAD_USER_INPUT"),
        ("/portfolio.csv", {"silentForDays": "-3"}, 400, "BAD_USER_INPUT"),
        ("/portfolio.csv", {"status": "SLEEPING"}, 400, "BAD_USER_INPUT"),
        ("/portfolio.pdf", {}, 404, "NOT_FOUND"),
    ):
        refused = await client.get(path, params=params, headers=auth(root, "en"))
        assert refused.status_code == status, (path, params, refused.text)
        assert refused.json()["errors"][0]["extensions"]["code"] == code
