from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON

from core.identity.roles import Permission
from graphql_schema.context import Info
from graphql_schema.permissions import requires
from plugins.gqltypes import Text, text
from plugins.records import PluginInfo
from tenants.plugin_activations import PluginActivation


@strawberry.type(description="An installed plugin, and whether the bound municipality uses it.")
class Plugin:
    name: str
    title: Text
    description: Text
    version: str
    enabled: bool
    settings_version: int = strawberry.field(description="Incremented on every change.")
    settings_schema: JSON | None = strawberry.field(description="JSON Schema of the settings.")
    current_settings: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        description="The municipality's settings (municipal and platform admins).",
        permission_classes=[requires(Permission.READ_PLUGIN_SETTINGS)],
    )
    def settings(self) -> JSON:
        return cast(JSON, self.current_settings)


def plugin_status(info: PluginInfo, row: PluginActivation | None) -> Plugin:
    return Plugin(
        name=info.name,
        title=text(info.title),
        description=text(info.description),
        version=info.version,
        enabled=bool(row and row.enabled),
        settings_version=row.version if row else 0,
        settings_schema=cast(JSON, info.settings.model_json_schema()) if info.settings else None,
        current_settings=dict(row.settings) if row else {},
    )


class RequirePlugin(FieldExtension):
    """Guards a plugin's field: ``PLUGIN_DISABLED`` unless the municipality enabled it."""

    def __init__(self, plugin: str) -> None:
        super().__init__()
        self.plugin = plugin

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        await info.context.require_plugin(self.plugin)
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result
