from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

import strawberry
from pydantic import BaseModel
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON

from core.identity.roles import Permission
from graphql_schema.context import Info
from graphql_schema.permissions import requires
from plugins.gqltypes import Text, text
from plugins.records import PluginInfo
from plugins.settings import localized_schema
from tenants.plugin_activations import PluginActivation


@strawberry.type(description="An installed plugin, and whether the bound municipality uses it.")
class Plugin:
    name: str
    title: Text
    description: Text
    version: str
    enabled: bool
    settings_version: int = strawberry.field(description="Incremented on every change.")
    settings_model: strawberry.Private[type[BaseModel] | None]
    current_settings: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        description="JSON Schema of the settings, with each field's title and description in "
        "the caller's language (all three under x-usina-i18n): a form can be generated from it."
    )
    def settings_schema(self, info: Info) -> JSON | None:
        if self.settings_model is None:
            return None
        return cast(JSON, localized_schema(self.settings_model, info.context.locale))

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
        settings_model=info.settings,
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
