"""Usina. Third-party plugins import their API from here (``from usina import hookimpl``)."""

from core.i18n import Message, msg
from plugins import (
    AnswerOption,
    Dimension,
    DomainEvent,
    GraphQLContribution,
    Indicator,
    InstrumentSpec,
    PluginInfo,
    Rating,
    Scores,
    hookimpl,
)
from plugins.scoring import weighted_scores

__all__ = [
    "AnswerOption",
    "Dimension",
    "DomainEvent",
    "GraphQLContribution",
    "Indicator",
    "InstrumentSpec",
    "Message",
    "PluginInfo",
    "Rating",
    "Scores",
    "hookimpl",
    "msg",
    "weighted_scores",
]
