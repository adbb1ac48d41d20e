from __future__ import annotations

import strawberry

from core.enums import ContributionKind
from graphql_schema.context import Info
from graphql_schema.plugins.types import Plugin, plugin_status
from plugins.gqltypes import Text, text
from plugins.records import ChannelKindSpec


@strawberry.type(description="A kind of participation channel a plugin provides.")
class ChannelKind:
    name: str = strawberry.field(description="What openChannel's kind takes.")
    plugin: str
    title: Text
    description: Text
    participant_kinds: list[ContributionKind] = strawberry.field(
        description="What signed-in participants contribute while the channel is open."
    )
    staff_kinds: list[ContributionKind] = strawberry.field(
        description="What only staff record (recordMeeting)."
    )
    has_members: bool = strawberry.field(
        description="Whether it seats actors (addChannelMember), as a forum does."
    )
    rules: list[str] = strawberry.field(
        description="The rules a channel of this kind takes (openChannel's rules keys)."
    )


def channel_kind_type(plugin: str, spec: ChannelKindSpec) -> ChannelKind:
    return ChannelKind(
        name=spec.name,
        plugin=plugin,
        title=text(spec.title),
        description=text(spec.description),
        participant_kinds=sorted(ContributionKind(k) for k in spec.participant_kinds),
        staff_kinds=sorted(ContributionKind(k) for k in spec.staff_kinds),
        has_members=spec.has_members,
        rules=sorted(spec.rules.model_fields) if spec.rules else [],
    )


@strawberry.type
class PluginQueries:
    @strawberry.field(
        description="Every installed plugin, with whether the bound municipality enabled it."
    )
    async def plugins(self, info: Info) -> list[Plugin]:
        rows = await info.context.plugin_activations()
        registry = info.context.plugins
        return [plugin_status(i, rows.get(name)) for name, i in sorted(registry.infos.items())]

    @strawberry.field(description="The channel kinds of the plugins the municipality enabled.")
    async def channel_kinds(self, info: Info) -> list[ChannelKind]:
        enabled = await info.context.enabled_plugins()
        return [
            channel_kind_type(plugin, spec)
            for _, (plugin, spec) in sorted(info.context.plugins.channel_kinds.items())
            if plugin in enabled
        ]
