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
    JobContext,
    JobSpec,
    PluginInfo,
    Rating,
    ScaleOption,
    Scores,
    hookimpl,
)
from plugins.jobs import enqueue_job
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
    "JobContext",
    "JobSpec",
    "Message",
    "PluginInfo",
    "Rating",
    "ScaleOption",
    "Scores",
    "enqueue_job",
    "hookimpl",
    "msg",
    "weighted_scores",
]
