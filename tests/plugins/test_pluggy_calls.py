"""Usina calls every hook through pluggy, so a plugin's hook wrappers and pluggy's ordering and
tracing apply to Usina's own calls (never implementations iterated and called by hand)."""

from __future__ import annotations

import uuid
from collections.abc import Generator, Sequence
from typing import Any

from plugins import activation
from plugins.manager import make_plugin_manager
from usina import DomainEvent, InstrumentSpec, PluginInfo, hookimpl, msg


class Wrapping:
    """A plugin that wraps two hooks and answers ``on_event`` first."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl
    def register_plugin(self) -> PluginInfo:
        return PluginInfo(
            name="wrapping",
            title=msg("Wrapping", "Envolvente", "Envolvente"),
            description=msg("", "", ""),
            version="1",
        )

    @hookimpl(wrapper=True)
    def register_instruments(self) -> Generator[None, Sequence[InstrumentSpec], Any]:
        answers = yield
        self.seen.append(("instruments", len(answers)))
        return answers

    @hookimpl(wrapper=True)
    def on_event(self, event: DomainEvent) -> Generator[None, Any, Any]:
        self.seen.append(("before", event.kind))
        result = yield
        self.seen.append(("after", event.kind))
        return result


class Late:
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    @hookimpl
    def register_plugin(self) -> PluginInfo:
        return PluginInfo(
            name="late",
            title=msg("Late", "Tarde", "Tarde"),
            description=msg("", "", ""),
            version="1",
        )

    @hookimpl(trylast=True)
    async def on_event(self, event: DomainEvent) -> None:
        self.log.append(("late", event.kind))


class Early:
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    @hookimpl
    def register_plugin(self) -> PluginInfo:
        return PluginInfo(
            name="early",
            title=msg("Early", "Temprano", "Cedo"),
            description=msg("", "", ""),
            version="1",
        )

    @hookimpl(tryfirst=True)
    async def on_event(self, event: DomainEvent) -> None:
        self.log.append(("early", event.kind))


def test_contributions_are_collected_through_pluggy_with_wrappers() -> None:
    wrapping = Wrapping()
    registry = make_plugin_manager(entrypoints=False, extra=[wrapping])
    assert set(registry.instruments) == {"transparency_index", "maturity_model"}
    # The wrapper saw each instrument plugin's answer (one per plugin, one spec each).
    assert wrapping.seen == [("instruments", 1), ("instruments", 1)]


async def test_events_reach_wrappers_and_respect_ordering() -> None:
    wrapping = Wrapping()
    log: list[Any] = []
    registry = make_plugin_manager(entrypoints=False, extra=[Late(log), wrapping, Early(log)])
    event = DomainEvent(kind="x.happened", tenant_id=uuid.uuid4(), entity_id="1", data={})
    wrapping.seen.clear()
    await activation.dispatch(registry, {"wrapping", "late", "early"}, [event])
    assert wrapping.seen == [("before", "x.happened"), ("after", "x.happened")]
    assert log == [("early", "x.happened"), ("late", "x.happened")]


async def test_a_plugin_the_municipality_has_not_enabled_is_not_called() -> None:
    log: list[Any] = []
    registry = make_plugin_manager(entrypoints=False, extra=[Late(log), Early(log)])
    event = DomainEvent(kind="x.happened", tenant_id=uuid.uuid4(), entity_id="1", data={})
    await activation.dispatch(registry, {"early"}, [event])
    assert log == [("early", "x.happened")]
