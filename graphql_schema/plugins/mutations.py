from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from core.identity.roles import Permission
from graphql_schema.context import Info
from graphql_schema.permissions import requires
from graphql_schema.plugins.types import Plugin, plugin_status
from plugins import activation


@strawberry.input
class ConfigurePluginInput:
    plugin: str
    enabled: bool | None = None
    settings: JSON | None = strawberry.field(
        default=None, description="Replaces the settings; validated against the plugin's schema."
    )


@strawberry.type
class PluginPayload:
    plugin: Plugin


@strawberry.type
class PluginMutations:
    @strawberry.mutation(
        description="Enable, disable or configure a plugin for the bound municipality.",
        permission_classes=[requires(Permission.MANAGE_PLUGINS)],
    )
    async def configure_plugin(self, info: Info, input: ConfigurePluginInput) -> PluginPayload:
        context = info.context
        context.tenant()
        registry = context.plugins
        async with context.transaction() as session:
            row = await activation.configure(
                session,
                context.principal,
                registry,
                input.plugin,
                enabled=input.enabled,
                settings=cast(dict[str, Any] | None, input.settings),
            )
        plugin_info = registry.info(input.plugin)
        assert plugin_info is not None  # configure() refused unknown plugins
        return PluginPayload(plugin=plugin_status(plugin_info, row))
