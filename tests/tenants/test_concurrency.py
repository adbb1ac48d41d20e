"""Fifty concurrent writers per kind, through the API, on PostgreSQL (the restricted role) and
SQLite: nobody's request fails, and every derived value equals its recomputation from the
facts (issue 15, point 1)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
from sqlalchemy import func, select

from core.diagnostics.models import Assessment, AssessmentAnswer
from core.enums import ContributionKind
from core.identity.tokens import TokenService
from core.milestones.models import Milestone
from core.participation.models import Contribution
from core.progress.models import ProgressReport
from plugins.manager import make_plugin_manager
from tenants.database import Database
from tests.factories import World, error_codes, gql

WRITERS = 50


async def all_succeed(calls: list[Any]) -> None:
    results = await asyncio.gather(*calls)
    failed = [r for r in results if error_codes(r)]
    assert failed == [], failed[:3]


async def test_concurrent_progress_reports_leave_the_milestone_at_its_latest(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    percents = random.Random(7).sample(range(1, 100), WRITERS)
    await all_succeed(
        [
            gql(
                client,
                "mutation($m: ID!, $p: Float!) { reportProgress(input: {milestoneId: $m, "
                "percent: $p}) { report { id } } }",
                {"m": a.gid("Milestone"), "p": float(p)},
                token=editor,
            )
            for p in percents
        ]
    )
    async with db.session(a.binding) as session:
        latest = (
            await session.execute(
                select(ProgressReport)
                .where(ProgressReport.milestone_id == a.milestone_id)
                .order_by(ProgressReport.reported_at.desc(), ProgressReport.id.desc())
                .limit(1)
            )
        ).scalar_one()
        count = (
            await session.execute(
                select(func.count()).where(ProgressReport.milestone_id == a.milestone_id)
            )
        ).scalar_one()
        milestone = await session.get(Milestone, (a.municipality.id, a.milestone_id))
    assert count == WRITERS + 1  # the world's own report, and the fifty
    assert milestone is not None
    assert (milestone.progress, milestone.status, milestone.last_reported_at) == (
        latest.percent,
        latest.status,
        latest.reported_at,
    )


async def test_concurrent_supports_are_all_counted(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a = world.a
    await all_succeed(
        [
            gql(
                client,
                "mutation($c: ID!, $p: ID!) { contribute(input: {channelId: $c, kind: SUPPORT, "
                "parentId: $p}) { contribution { id } } }",
                {"c": a.gid("Channel"), "p": a.gid("Contribution")},
                token=tokens.issue(subject=f"vecino-{i}", role="participant", tenant=a.slug),
            )
            for i in range(WRITERS)
        ]
    )
    shown = await gql(
        client,
        "query($p: ID!) { node(id: $p) { ... on Contribution { supportCount } } }",
        {"p": a.gid("Contribution")},
        tenant=a.slug,
    )
    async with db.session(a.binding) as session:
        stored = (
            await session.execute(
                select(func.count()).where(
                    Contribution.parent_id == a.proposal_id,
                    Contribution.kind == ContributionKind.SUPPORT,
                )
            )
        ).scalar_one()
    assert stored == WRITERS
    assert shown["data"]["node"]["supportCount"] == WRITERS


async def test_concurrent_answers_all_count_in_the_scores(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    _, instrument = make_plugin_manager().instruments["transparency_index"]
    codes = sorted(instrument.indicators_by_code)
    choose = random.Random(11)
    await all_succeed(
        [
            gql(
                client,
                "mutation($id: ID!, $i: String!, $v: String!) { answerIndicators(input: "
                "{assessmentId: $id, answers: [{indicator: $i, answer: $v}]}) "
                "{ assessment { id } } }",
                {
                    "id": a.gid("DraftAssessment"),
                    "i": codes[n % len(codes)],
                    "v": choose.choice(["YES", "NO", "PARTIAL"]),
                },
                token=editor,
            )
            for n in range(WRITERS)
        ]
    )
    async with db.session(a.binding) as session:
        assessment = await session.get(Assessment, (a.municipality.id, a.assessment_id))
        answers = (
            await session.execute(
                select(AssessmentAnswer.indicator, AssessmentAnswer.answer).where(
                    AssessmentAnswer.assessment_id == a.assessment_id
                )
            )
        ).all()
    assert assessment is not None
    recomputed = instrument.score(instrument, dict(answers))
    assert assessment.overall_score == recomputed.overall
    assert assessment.dimension_scores == dict(recomputed.dimensions)


async def test_concurrent_kpi_values_are_all_kept(
    client: httpx.AsyncClient, db: Database, world: World, tokens: TokenService
) -> None:
    """The KPI plugin keeps a KPI's measurements in one record: fifty days measured at once,
    fifty measurements kept."""
    from datetime import date, timedelta

    a = world.a
    editor = tokens.issue(subject="ed", role="editor", tenant=a.slug)
    days = [date.today() - timedelta(days=n) for n in range(WRITERS)]
    await all_succeed(
        [
            gql(
                client,
                "mutation($c: ID!, $d: Date!, $v: Float!) { recordKpiValue(input: "
                '{commitmentId: $c, code: "K1", value: $v, measuredOn: $d}) { kpi { code } } }',
                {"c": a.gid("Commitment"), "d": str(day), "v": float(n)},
                token=editor,
            )
            for n, day in enumerate(days)
        ]
    )
    kpis = await gql(
        client,
        "query($c: ID!) { commitmentKpis(commitmentId: $c) { code measurements { measuredOn } } }",
        {"c": a.gid("Commitment")},
        tenant=a.slug,
    )
    (kpi,) = kpis["data"]["commitmentKpis"]
    assert sorted(m["measuredOn"] for m in kpi["measurements"]) == sorted(str(d) for d in days)
