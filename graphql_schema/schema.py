"""The root schema: it only assembles what each domain folder declares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy.exc import IntegrityError
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from core.errors import UsinaError
from core.settings import Settings, get_settings
from graphql_schema.actors.mutations import ActorMutations
from graphql_schema.actors.queries import ActorQueries
from graphql_schema.commitments.mutations import CommitmentLinkMutations, CommitmentMutations
from graphql_schema.diagnostics.mutations import DiagnosticMutations
from graphql_schema.diagnostics.queries import DiagnosticQueries
from graphql_schema.errors import is_request_error
from graphql_schema.evaluation.mutations import EvaluationMutations
from graphql_schema.evaluation.queries import EvaluationQueries
from graphql_schema.execution import FastExecutor
from graphql_schema.guards import OperationGuard, SessionLifecycle
from graphql_schema.identity.mutations import IdentityMutations
from graphql_schema.identity.queries import IdentityQueries
from graphql_schema.jobs.mutations import JobMutations
from graphql_schema.jobs.queries import JobQueries
from graphql_schema.limits import QueryLimits
from graphql_schema.milestones.mutations import MilestoneMutations
from graphql_schema.municipalities.mutations import MunicipalityMutations
from graphql_schema.municipalities.queries import MunicipalityQueries
from graphql_schema.nodes import TENANT_NODES
from graphql_schema.observability import OperationMetrics
from graphql_schema.participation.mutations import ParticipationMutations
from graphql_schema.participation.preferences import (
    NotificationPreferencesMutations,
    NotificationPreferencesQueries,
)
from graphql_schema.plans.mutations import PlanMutations
from graphql_schema.plugins.mutations import PluginMutations
from graphql_schema.plugins.queries import PluginQueries
from graphql_schema.plugins.types import RequirePlugin
from graphql_schema.portals.mutations import PortalMutations
from graphql_schema.portfolio import PortfolioQueries
from graphql_schema.scalars import OVERRIDES
from plugins.manager import PluginRegistry, make_plugin_manager

SDL_PATH = Path(__file__).parent / "schema.graphql"

CORE_QUERIES: tuple[type, ...] = (
    MunicipalityQueries,
    PortfolioQueries,
    ActorQueries,
    PluginQueries,
    DiagnosticQueries,
    EvaluationQueries,
    IdentityQueries,
    JobQueries,
    NotificationPreferencesQueries,
)
CORE_MUTATIONS: tuple[type, ...] = (
    MunicipalityMutations,
    PlanMutations,
    CommitmentMutations,
    MilestoneMutations,
    ActorMutations,
    PluginMutations,
    DiagnosticMutations,
    ParticipationMutations,
    NotificationPreferencesMutations,
    CommitmentLinkMutations,
    EvaluationMutations,
    IdentityMutations,
    JobMutations,
    PortalMutations,
)


#: (id(document), id(schema), rules) -> (document, schema, its validation errors)
_VALIDATED: dict[tuple[Any, ...], tuple[Any, Any, list[GraphQLError]]] = {}
_VALIDATED_LIMIT = 256


class ValidatedDocuments(SchemaExtension):
    """strawberry's ``ValidationCache``, keyed by the document's identity: the parser cache
    gives the same document for the same text, and the LRU's key (the document's hash) walks
    every node of it on every request (20 us for the portal query)."""

    def on_validate(self) -> Iterator[None]:
        from strawberry.schema.schema import validate_document

        context = self.execution_context
        document, schema = context.graphql_document, context.schema._schema
        rules = tuple(context.validation_rules)
        key = (id(document), id(schema), rules)
        known = _VALIDATED.get(key)
        if known is None or known[0] is not document or known[1] is not schema:
            if len(_VALIDATED) >= _VALIDATED_LIMIT:
                _VALIDATED.clear()
            errors = validate_document(schema, document, rules)  # type: ignore[arg-type]
            known = _VALIDATED[key] = (document, schema, errors)
        context.pre_execution_errors = known[2]
        yield


def _guarded(plugin: str, cls: type) -> type:
    """Every field of a plugin's type answers PLUGIN_DISABLED where it is not enabled."""
    for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(e, RequirePlugin) for e in field.extensions):
            field.extensions.append(RequirePlugin(plugin))
    return cls


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


def build_schema(
    registry: PluginRegistry | None = None, settings: Settings | None = None
) -> strawberry.Schema:
    """The schema: the core's domains plus what the registry's plugins contribute."""
    registry = registry or make_plugin_manager()
    settings = settings or get_settings()
    queries, mutations = list(CORE_QUERIES), list(CORE_MUTATIONS)
    extra_types: list[type] = []
    for plugin, contribution in registry.graphql:
        if contribution.query is not None:
            queries.append(_guarded(plugin, contribution.query))
        if contribution.mutation is not None:
            mutations.append(_guarded(plugin, contribution.mutation))
        extra_types.extend(contribution.types)
    return UsinaSchema(
        query=merge_types("Query", tuple(queries)),
        mutation=merge_types("Mutation", tuple(mutations)),
        types=[node_type for _, node_type in TENANT_NODES.values()] + extra_types,
        scalar_overrides=OVERRIDES,
        execution_context_class=FastExecutor,
        extensions=[
            lambda: MaxTokensLimiter(settings.max_query_tokens),  # read by the parser below
            lambda: ParserCache(maxsize=256),  # the LRU itself is module-level, shared
            ValidatedDocuments,
            OperationMetrics,
            SessionLifecycle,
            QueryLimits,  # before the guard: an operation over a limit costs no resolver
            OperationGuard,
        ],
        config=StrawberryConfig(
            auto_camel_case=True,
            # Production answers "Cannot query field" without "Did you mean ...?": the schema
            # is not revealed to whoever probes it.
            disable_field_suggestions=settings.environment == "production",
            batching_config={"max_operations": settings.max_batch_operations},
        ),
    )


def export_sdl(schema: strawberry.Schema | None = None) -> str:
    """Usina's own SDL: the core and the built-in plugins (not third-party ones)."""
    schema = schema or build_schema(make_plugin_manager(entrypoints=False))
    return schema.as_str() + "\n"
