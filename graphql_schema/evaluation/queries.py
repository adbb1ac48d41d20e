from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.evaluation.types import Framework, framework_type


@strawberry.type
class EvaluationQueries:
    @strawberry.field(
        description="The evaluation frameworks of the plugins the municipality enabled."
    )
    async def frameworks(self, info: Info) -> list[Framework]:
        enabled = await info.context.enabled_plugins()
        return [
            framework_type(plugin, spec)
            for _, (plugin, spec) in sorted(info.context.plugins.frameworks.items())
            if plugin in enabled
        ]
