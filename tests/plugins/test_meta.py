"""Keep the plugin docs and the plugin-author API honest."""

from __future__ import annotations

import inspect

import usina
from plugins import hookspecs
from tests.conftest import REPO

HOOKS = sorted(
    n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "usina_spec")
)


def test_every_hook_has_a_docstring_and_a_section_in_the_guide() -> None:
    guide = (REPO / "docs" / "plugins.md").read_text()
    assert HOOKS == [
        "check_plan_transition",
        "on_event",
        "register_channel_kinds",
        "register_frameworks",
        "register_graphql",
        "register_instruments",
        "register_jobs",
        "register_plugin",
    ]
    for name in HOOKS:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name
        assert f"`{name}`" in guide, name


def test_every_hook_is_implemented_by_a_plugin_the_suite_runs() -> None:
    from plugins.manager import make_plugin_manager

    registry = make_plugin_manager()  # built-ins and the entry-point fixture plugin
    implemented = {name for name in HOOKS if getattr(registry.pm.hook, name).get_hookimpls()}
    assert implemented == set(HOOKS)


def test_the_plugin_author_api_is_pinned() -> None:
    assert usina.__all__ == [
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


def test_builtins_use_only_public_hooks() -> None:
    from plugins.manager import BUILTINS

    for dotted in BUILTINS:
        module = __import__(dotted, fromlist=["_"])
        hooks = {
            n for n, f in inspect.getmembers(module, inspect.isfunction) if hasattr(f, "usina_impl")
        }
        assert hooks and hooks <= set(HOOKS), dotted
