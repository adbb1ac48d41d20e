"""Usina. Third-party plugins import their API from here (``from usina import hookimpl``)."""

from core.i18n import Message, msg
from plugins import (
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
    PluginInfo,
    Rating,
    ScaleOption,
    Scores,
    hookimpl,
)
from plugins.scoring import weighted_scores

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
    "Message",
    "PluginInfo",
    "Rating",
    "ScaleOption",
    "Scores",
    "hookimpl",
    "msg",
    "weighted_scores",
]
