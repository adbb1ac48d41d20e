from __future__ import annotations

import strawberry

from graphql_schema.connections import connection
from graphql_schema.context import Info
from graphql_schema.diagnostics.types import Assessment, Instrument, instrument_type
from graphql_schema.loaders import ASSESSMENTS
from graphql_schema.relay import Connection


@strawberry.type
class DiagnosticQueries:
    @strawberry.field(description="The instruments of the plugins the municipality enabled.")
    async def instruments(self, info: Info) -> list[Instrument]:
        enabled = await info.context.enabled_plugins()
        return [
            instrument_type(plugin, spec)
            for _, (plugin, spec) in sorted(info.context.plugins.instruments.items())
            if plugin in enabled
        ]

    @strawberry.field(description="Assessments, latest first. The public sees validated ones only.")
    async def assessments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        instrument: str | None = None,
    ) -> Connection[Assessment]:
        tenant_id = info.context.tenant().binding.tenant_id
        filters = (("instrument", (instrument,)),) if instrument else ()
        return await connection(info, ASSESSMENTS, Assessment, tenant_id, first, after, filters)
