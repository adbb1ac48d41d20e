"""Usina's plugin system (pluggy). Plugin authors import these names from ``usina``."""

import pluggy

from plugins.records import (
    AnswerOption,
    ChannelKindSpec,
    Criterion,
    DerivationInput,
    Dimension,
    DomainEvent,
    FrameworkSpec,
    GraphQLContribution,
    Indicator,
    InstrumentSpec,
    JobContext,
    JobSpec,
    Objection,
    ObjectionItem,
    PluginInfo,
    Rating,
    ScaleOption,
    Scores,
)

hookimpl = pluggy.HookimplMarker("usina")

__all__ = [
    "AnswerOption",
    "ChannelKindSpec",
    "Criterion",
    "DerivationInput",
    "Dimension",
    "DomainEvent",
    "FrameworkSpec",
    "GraphQLContribution",
    "Indicator",
    "InstrumentSpec",
    "JobContext",
    "JobSpec",
    "Objection",
    "ObjectionItem",
    "PluginInfo",
    "Rating",
    "ScaleOption",
    "Scores",
    "hookimpl",
]
