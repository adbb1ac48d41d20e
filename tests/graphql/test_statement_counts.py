"""The portal query's SQL statement count does not grow with the number of rows."""

from __future__ import annotations

from typing import Any

import pytest

from core.enums import ActionPlanStatus, MilestoneStatus
from core.models import ActionPlan, Commitment, Milestone, ProgressReport
from graphql_schema.view import PORTAL_QUERY
from tenants.context import TenantBinding
from tenants.database import Database
from tests.factories import END, START, gql, new_municipality

PER_PLAN = 100  # the portal query asks for commitments(first: 100)
PORTAL = PORTAL_QUERY.replace("actionPlans(first: 5)", "actionPlans(first: 10)").replace(
    "commitments(first: 20)", f"commitments(first: {PER_PLAN})"
)

#: How the statements that read milestones' figures for progress begin: a plan's (commitments
#: joined to their milestones) and a commitment's (its milestones).
FIGURE_STATEMENTS = (
    # summed per commitment, then joined (materialized on PostgreSQL)
    "WITH sums AS (SELECT milestones.tenant_id",
    "WITH sums AS MATERIALIZED (SELECT milestones.tenant_id",
    "SELECT milestones.commitment_id, milestones.weight",
)


async def municipality_with(db: Database, commitments: int) -> str:
    """A municipality whose public plans hold ``commitments`` commitments in all, each with
    two milestones and a progress report on each (bulk-inserted: this tests reads)."""
    municipality = await new_municipality(db, "stmt")
    binding = TenantBinding(municipality.id, municipality.slug, sees_drafts=True)
    async with db.session(binding) as session:
        for plan_index in range(0, commitments, PER_PLAN):
            plan = ActionPlan(
                title=f"Plan {plan_index}",
                start_date=START,
                end_date=END,
                status=ActionPlanStatus.IMPLEMENTATION,
                is_public=True,
            )
            session.add(plan)
            await session.flush()
            for i in range(plan_index, min(commitments, plan_index + PER_PLAN)):
                commitment = Commitment(
                    plan_id=plan.id, code=f"{i:04d}", title=f"C{i}", start_date=START, end_date=END
                )
                session.add(commitment)
                await session.flush()
                for weight in (1.0, 3.0):
                    milestone = Milestone(
                        plan_id=plan.id,
                        commitment_id=commitment.id,
                        title="M",
                        start_date=START,
                        end_date=END,
                        weight=weight,
                        status=MilestoneStatus.IN_PROGRESS,
                        progress=50,
                    )
                    session.add(milestone)
                    await session.flush()
                    session.add(
                        ProgressReport(
                            plan_id=plan.id,
                            milestone_id=milestone.id,
                            percent=50,
                            status=MilestoneStatus.IN_PROGRESS,
                            author_subject="seed",
                        )
                    )
    return municipality.slug


@pytest.mark.parametrize("as_client", ["anonymous"])
async def test_portal_query_statements_do_not_grow_with_commitments(
    client: Any, db: Database, count_statements: Any, as_client: str
) -> None:
    counts = {}
    for size in (1, 50, 500):
        slug = await municipality_with(db, size)
        count_statements.statements.clear()
        result = await gql(client, PORTAL, tenant=slug)
        assert "errors" not in result, result["errors"]
        plans = result["data"]["municipality"]["actionPlans"]["nodes"]
        commitments = [c for p in plans for c in p["commitments"]["nodes"]]
        assert len(commitments) == size
        assert all(len(c["milestones"]["nodes"]) == 2 for c in commitments)
        assert all(c["progress"] == 50.0 for c in commitments)
        counts[size] = count_statements.count
        # The plans' progress and their commitments' come from one statement's rows.
        figures = [
            s
            for s in count_statements.statements
            if " ".join(s.split()).startswith(FIGURE_STATEMENTS)
        ]
        assert len(figures) == 1, figures
    print(f"portal query statements by commitments: {counts}")
    assert counts[1] == counts[50] == counts[500], counts


class _Constructions:
    """Counts SELECT constructions and compiled-cache misses while it is active."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.selects = 0
        self.misses: list[str] = []

    def _on_execute(
        self, _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: Any
    ) -> None:
        from sqlalchemy.engine.default import CACHE_MISS

        if getattr(context, "cache_hit", None) is CACHE_MISS:
            self.misses.append(statement)

    def __enter__(self) -> _Constructions:
        from sqlalchemy import event
        from sqlalchemy.sql.selectable import Select

        self._init = Select.__init__
        counter = self

        def counting(select: Any, *args: Any, **kwargs: Any) -> None:
            counter.selects += 1
            counter._init(select, *args, **kwargs)

        Select.__init__ = counting  # type: ignore[method-assign]
        event.listen(self.db.engine.sync_engine, "before_cursor_execute", self._on_execute)
        # On PostgreSQL the reads are compiled once more, for asyncpg: a miss there counts too.
        from tenants import compiled_reads

        self._compile = compiled_reads._compile

        def compiling(statement: Any, dialect: Any) -> Any:
            counter.misses.append(str(statement))
            return counter._compile(statement, dialect)

        compiled_reads._compile = compiling  # type: ignore[assignment]
        return self

    def __exit__(self, *_: Any) -> None:
        from sqlalchemy import event
        from sqlalchemy.sql.selectable import Select

        Select.__init__ = self._init  # type: ignore[method-assign]
        event.remove(self.db.engine.sync_engine, "before_cursor_execute", self._on_execute)
        from tenants import compiled_reads

        compiled_reads._compile = self._compile  # type: ignore[assignment]


@pytest.mark.parametrize("viewer", ["anonymous", "editor"])
async def test_repeated_portal_queries_construct_no_statement(
    client: Any, db: Database, tokens: Any, viewer: str
) -> None:
    """The read path's statements are built once (per visibility shape): a repeated portal
    query builds no SELECT and compiles nothing; only the first one may."""
    slug = await municipality_with(db, 3)
    headers = {}
    if viewer == "editor":
        editor = tokens.issue(subject="ed", role="editor", tenant=slug)
        headers = {"Authorization": f"Bearer {editor}"}
    first = await gql(client, PORTAL, tenant=slug, headers=headers)
    assert "errors" not in first, first["errors"]
    with _Constructions(db) as seen:
        for _ in range(3):
            again = await gql(client, PORTAL, tenant=slug, headers=headers)
            assert again == first
    assert seen.selects == 0, f"{seen.selects} SELECTs constructed over 3 repeated requests"
    assert seen.misses == [], seen.misses
