"""Co-creation forum: the multi-stakeholder forum of an action plan (government and
non-government members) and its meetings, with agenda, minutes and attendance (OGP
participation and co-creation standards 1 and 5)."""

from __future__ import annotations

from collections.abc import Sequence

from usina import ChannelKindSpec, PluginInfo, hookimpl, msg
from usina.models import ContributionKind

KIND = "forum"


@hookimpl
def register_plugin() -> PluginInfo:
    return PluginInfo(
        name="forum",
        title=msg("Co-creation forum", "Foro de co-creación", "Fórum de cocriação"),
        description=msg(
            "The multi-stakeholder forum: its members and its meetings.",
            "El foro multiactor: sus miembros y sus reuniones.",
            "O fórum multiatores: os seus membros e as suas reuniões.",
        ),
        version="1.0",
    )


@hookimpl
def register_channel_kinds() -> Sequence[ChannelKindSpec]:
    return [
        ChannelKindSpec(
            name=KIND,
            title=msg("Multi-stakeholder forum", "Foro multiactor", "Fórum multiatores"),
            description=msg(
                "Members from government and civil society; meetings recorded by staff.",
                "Miembros del gobierno y de la sociedad civil; reuniones registradas por el "
                "personal.",
                "Membros do governo e da sociedade civil; reuniões registradas pela equipe.",
            ),
            staff_kinds=frozenset({ContributionKind.MEETING}),
            has_members=True,
        )
    ]
