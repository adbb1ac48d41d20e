"""The root schema: it only assembles what each domain folder declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy.exc import IntegrityError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from core.errors import UsinaError
from graphql_schema.actors.mutations import ActorMutations
from graphql_schema.actors.queries import ActorQueries
from graphql_schema.binding import RequestBinding, SessionLifecycle
from graphql_schema.commitments.mutations import CommitmentMutations
from graphql_schema.errors import ErrorCodes, is_request_error
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


class UsinaSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only what nobody expected; a user's mistake is an answer, not an incident."""
        unexpected = [
            e
            for e in errors
            if e.original_error is not None
            and not is_request_error(e)
            and not isinstance(e.original_error, UsinaError | IntegrityError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(**kwargs: Any) -> strawberry.Schema:
    return UsinaSchema(
        query=Query,
        mutation=Mutation,
        types=[node_type for _, node_type in TENANT_NODES.values()],
        extensions=[
            ErrorCodes,
            lambda: ParserCache(maxsize=256),  # the LRU itself is module-level, shared
            lambda: ValidationCache(maxsize=256),
            SessionLifecycle,
            RequestBinding,
        ],
        config=StrawberryConfig(auto_camel_case=True),
    )


def export_sdl(schema: strawberry.Schema | None = None) -> str:
    return (schema or build_schema()).as_str() + "\n"
