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
    assert HOOKS == ["on_event", "register_graphql", "register_instruments", "register_plugin"]
    for name in HOOKS:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name
        assert f"`{name}`" in guide, name


def test_every_hook_is_exercised_by_the_fixture_plugin() -> None:
    from tests.fixture_plugin import usina_fixture

    assert all(hasattr(usina_fixture, name) for name in HOOKS)


def test_the_plugin_author_api_is_pinned() -> None:
    assert usina.__all__ == [
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


def test_builtins_use_only_public_hooks() -> None:
    from plugins.manager import BUILTINS

    for dotted in BUILTINS:
        module = __import__(dotted, fromlist=["_"])
        hooks = {
            n for n, f in inspect.getmembers(module, inspect.isfunction) if hasattr(f, "usina_impl")
        }
        assert hooks and hooks <= set(HOOKS), dotted
