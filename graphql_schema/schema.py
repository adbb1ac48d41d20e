"""The root schema: it only assembles what each domain folder declares."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graphql_schema.actors.mutations import ActorMutations
from graphql_schema.actors.queries import ActorQueries
from graphql_schema.binding import RequestBinding, SessionLifecycle
from graphql_schema.commitments.mutations import CommitmentMutations
from graphql_schema.errors import ErrorCodes
from graphql_schema.milestones.mutations import MilestoneMutations
from graphql_schema.municipalities.mutations import MunicipalityMutations
from graphql_schema.municipalities.queries import MunicipalityQueries
from graphql_schema.nodes import TENANT_NODES
from graphql_schema.plans.mutations import PlanMutations

SDL_PATH = Path(__file__).parent / "schema.graphql"

Query = merge_types("Query", (MunicipalityQueries, ActorQueries))
Mutation = merge_types(
    "Mutation",
    (
        MunicipalityMutations,
        PlanMutations,
        CommitmentMutations,
        MilestoneMutations,
        ActorMutations,
    ),
)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[node_type for _, node_type in TENANT_NODES.values()],
        extensions=[ErrorCodes, SessionLifecycle, RequestBinding],
        config=StrawberryConfig(auto_camel_case=True),
    )


def export_sdl(schema: strawberry.Schema | None = None) -> str:
    return (schema or build_schema()).as_str() + "\n"
