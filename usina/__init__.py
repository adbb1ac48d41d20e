"""Usina's plugin-author API: everything a plugin needs, built-ins included.

A plugin imports from ``usina`` (hooks, records, texts, errors, permissions, ids, scoring and
job helpers, the typed ``Info``), ``usina.models`` (the records it reads and writes) and
``usina.services`` (the domain services it calls, each writing its own audit events) — never
from Usina's internal packages. ``tests/plugins/test_meta.py`` pins these names and checks
that the built-ins import nothing else.
"""

from core.errors import BadUserInput, Conflict, Forbidden, NotFound, UsinaError
from core.i18n import Message, msg
from core.identity.principal import SYSTEM, Principal
from core.identity.roles import Permission
from core.ids import decode_id, to_global_id
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
    Objection,
    ObjectionItem,
    PluginInfo,
    Rating,
    ScaleOption,
    Scores,
    hookimpl,
)
from plugins.context import Info, PluginContext
from plugins.gqltypes import Text, optional_text, requires, text
from plugins.jobs import enqueue_job
from plugins.scoring import (
    answers_from,
    dimensions_from,
    load_definition,
    message,
    weighted_scores,
)
from plugins.settings import setting

__all__ = [
    "SYSTEM",
    "AnswerOption",
    "BadUserInput",
    "ChannelKindSpec",
    "Conflict",
    "Criterion",
    "DerivationInput",
    "Dimension",
    "DomainEvent",
    "Forbidden",
    "FrameworkSpec",
    "GraphQLContribution",
    "Indicator",
    "Info",
    "InstrumentSpec",
    "JobContext",
    "JobSpec",
    "Message",
    "NotFound",
    "Objection",
    "ObjectionItem",
    "Permission",
    "PluginContext",
    "PluginInfo",
    "Principal",
    "Rating",
    "ScaleOption",
    "Scores",
    "Text",
    "UsinaError",
    "answers_from",
    "decode_id",
    "dimensions_from",
    "enqueue_job",
    "hookimpl",
    "load_definition",
    "message",
    "msg",
    "optional_text",
    "requires",
    "setting",
    "text",
    "to_global_id",
    "weighted_scores",
]
