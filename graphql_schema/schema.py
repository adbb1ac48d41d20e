"""The root schema: it assembles what each domain folder and each plugin declares (plugins'
fields guarded by ``PLUGIN_DISABLED``), with the extensions every operation goes through:
documents measured and refused before validation (``ValidatedDocuments``), a validation cache,
limits, error formatting; and the SDL it exports (``make schema``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError
from sqlalchemy.exc import IntegrityError
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from core.errors import UsinaError
from core.settings import Settings, get_settings
from core.text import NUL_MESSAGE, problem
from graphql_schema.actors.mutations import ActorMutations
from graphql_schema.actors.queries import ActorQueries
from graphql_schema.commitments.mutations import CommitmentLinkMutations, CommitmentMutations
from graphql_schema.diagnostics.mutations import DiagnosticMutations
from graphql_schema.diagnostics.queries import DiagnosticQueries
from graphql_schema.documents import ParsedDocuments
from graphql_schema.errors import is_request_error
from graphql_schema.evaluation.mutations import EvaluationMutations
from graphql_schema.evaluation.queries import EvaluationQueries
from graphql_schema.execution import FastExecutor
from graphql_schema.guards import OperationGuard, SessionLifecycle
from graphql_schema.identity.mutations import IdentityMutations
from graphql_schema.identity.queries import IdentityQueries
from graphql_schema.jobs.mutations import JobMutations
from graphql_schema.jobs.queries import JobQueries
from graphql_schema.limits import QueryLimits, expansion, too_complex
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
    every node of it on every request (20 us for the portal query).

    Before validation, the document's expansion is measured in linear time
    (``limits.expansion``): a document whose expanded fields or aliases are over the limits is
    refused with ``QUERY_TOO_COMPLEX`` without being validated, since validation's cost grows
    with the expansion (a 1.4 KB fragment bomb took 7-20 s of CPU in graphql-core's
    overlapping-fields rule), and a string literal that cannot be stored is ``BAD_USER_INPUT``.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, schema = context.graphql_document, context.schema._schema
        rules = tuple(context.validation_rules)
        settings: Settings = getattr(context.context, "settings", None) or get_settings()
        limits = (settings.max_query_fields, settings.max_query_aliases, settings.max_query_width)
        key = (id(document), id(schema), rules, limits)
        known = _VALIDATED.get(key)
        if known is None or known[0] is not document or known[1] is not schema:
            if len(_VALIDATED) >= _VALIDATED_LIMIT:
                _VALIDATED.clear()
            errors = _refused_unvalidated(document, settings) if document is not None else []
            if not errors:
                errors = validate_document(schema, document, rules)  # type: ignore[arg-type]
            known = _VALIDATED[key] = (document, schema, errors)
        context.pre_execution_errors = known[2]
        yield


def _refused_unvalidated(document: DocumentNode, settings: Settings) -> list[GraphQLError]:
    """A document refused on its expansion alone (see ``ValidatedDocuments``)."""
    weight = expansion(document)
    if weight.fields > settings.max_query_fields:
        return [too_complex("fields", weight.fields, settings.max_query_fields)]
    if weight.aliases > settings.max_query_aliases:
        return [too_complex("aliases", weight.aliases, settings.max_query_aliases)]
    if weight.width > settings.max_query_width:
        return [too_complex("width", weight.width, settings.max_query_width)]
    if weight.bad_text is not None:
        reason = problem(weight.bad_text) or NUL_MESSAGE
        extensions = {"code": "BAD_USER_INPUT", "field": "query", "message": reason.as_dict()}
        return [GraphQLError(reason.en, extensions=extensions)]
    return []


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
        # The speed layer's executor, or graphql-core's own (USINA_ENGINE=stock).
        execution_context_class=FastExecutor if settings.engine == "fast" else None,
        extensions=[
            lambda: MaxTokensLimiter(settings.max_query_tokens),  # read by the parser below
            ParsedDocuments,  # one LRU, shared with the response cache's planning
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
