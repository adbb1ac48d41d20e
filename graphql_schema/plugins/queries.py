from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.plugins.types import Plugin, plugin_status


@strawberry.type
class PluginQueries:
    @strawberry.field(
        description="Every installed plugin, with whether the bound municipality enabled it."
    )
    async def plugins(self, info: Info) -> list[Plugin]:
        rows = await info.context.plugin_activations()
        registry = info.context.plugins
        return [plugin_status(i, rows.get(name)) for name, i in sorted(registry.infos.items())]
