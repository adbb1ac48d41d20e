"""A third-party plugin that lives only in the tests, written against ``usina`` alone.

It is installed for the test session through a real ``usina.plugins`` entry point (see
``tests/conftest.py``). It adds an instrument, a GraphQL field and a setting, and records the
events it receives.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from pydantic import BaseModel, Field
from strawberry.types import Info

from usina import (
    AnswerOption,
    Dimension,
    DomainEvent,
    GraphQLContribution,
    Indicator,
    InstrumentSpec,
    JobContext,
    JobSpec,
    PluginInfo,
    hookimpl,
    msg,
    weighted_scores,
)

NAME = "fixture_plugin"
RECEIVED: list[DomainEvent] = []
CALLS: list[str] = []


class FixtureSettings(BaseModel):
    greeting: str = "Hola"
    max_items: int = Field(default=3, ge=1, le=10)


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        title=msg("Fixture plugin", "Complemento de prueba"),
        description=msg("Exists only in the tests.", "Solo existe en las pruebas."),
        version="1.0",
        settings=FixtureSettings,
    )


@hookimpl
def register_instruments() -> Sequence[InstrumentSpec]:
    return [
        InstrumentSpec(
            name="fixture_checklist",
            version="1",
            title=msg("Fixture checklist", "Lista de prueba"),
            description=msg("Two questions.", "Dos preguntas."),
            answers=(
                AnswerOption("YES", msg("Yes", "Sí"), 1.0),
                AnswerOption("NO", msg("No", "No"), 0.0),
            ),
            dimensions=(
                Dimension(
                    code="X",
                    title=msg("Everything", "Todo"),
                    indicators=(
                        Indicator("X1", msg("First", "Primera"), msg("", "")),
                        Indicator("X2", msg("Second", "Segunda"), msg("", ""), weight=3),
                    ),
                ),
            ),
            score=weighted_scores,
        )
    ]


@strawberry.type
class FixtureQuery:
    @strawberry.field(description="A greeting configured per municipality.")
    async def fixture_greeting(self, info: Info) -> str:
        CALLS.append("fixture_greeting")
        settings = await info.context.plugin_settings(NAME)
        name = info.context.tenant().municipality.name
        return f"{settings.get('greeting', 'Hola')}, {name}"


@hookimpl
def register_graphql() -> Sequence[GraphQLContribution]:
    return [GraphQLContribution(name="fixture", query=FixtureQuery)]


@hookimpl
async def on_event(event: DomainEvent) -> None:
    RECEIVED.append(event)


async def count_plans(ctx: JobContext) -> dict[str, object]:
    """A plugin's job: it sees only its municipality (the session is bound to it)."""
    from sqlalchemy import text

    rows = await ctx.session.execute(text("SELECT tenant_id FROM action_plans"))
    tenants = {str(row[0]).replace("-", "") for row in rows}
    return {"plans_of": sorted(tenants), "municipality": ctx.municipality.slug}


@hookimpl
def register_jobs() -> Sequence[JobSpec]:
    return [JobSpec(name="fixture_plugin.count_plans", run=count_plans, max_attempts=1)]
