"""Usina's plugin system (pluggy). Plugin authors import these names from ``usina``."""

import pluggy

from plugins.records import (
    AnswerOption,
    Dimension,
    DomainEvent,
    GraphQLContribution,
    Indicator,
    InstrumentSpec,
    PluginInfo,
    Rating,
    Scores,
)

hookimpl = pluggy.HookimplMarker("usina")

__all__ = [
    "AnswerOption",
    "Dimension",
    "DomainEvent",
    "GraphQLContribution",
    "Indicator",
    "InstrumentSpec",
    "PluginInfo",
    "Rating",
    "Scores",
    "hookimpl",
]
