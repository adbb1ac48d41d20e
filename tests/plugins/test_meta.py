"""Keep the plugin docs and the plugin-author API honest."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import usina
import usina.models
import usina.services
from plugins import hookspecs
from plugins.manager import make_plugin_manager
from plugins.settings import untitled
from tests.conftest import REPO
from tests.factories import World, gql

HOOKS = sorted(
    n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "usina_spec")
)


def test_every_hook_is_named_by_what_its_caller_does_with_the_answer() -> None:
    """``plugins/hookspecs.py``'s rule: register_*, check_*, compute_* or on_*."""
    families = ("register_", "check_", "compute_", "on_")
    assert [name for name in HOOKS if not name.startswith(families)] == []


def test_every_hook_has_a_docstring_and_a_section_in_the_guide() -> None:
    guide = (REPO / "docs" / "plugins.md").read_text()
    assert HOOKS == [
        "check_plan_transition",
        "compute_cocreation_checklist",
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
    assert usina.models.__all__ == [
        "ActionPlan",
        "ActionPlanStatus",
        "Actor",
        "ActorKind",
        "Assessment",
        "AssessmentAnswer",
        "AssessmentStatus",
        "Channel",
        "ChannelMember",
        "Commitment",
        "Contribution",
        "ContributionKind",
        "Evaluation",
        "EvaluationRating",
        "EvaluationStatus",
        "EvaluationTarget",
        "Milestone",
        "MilestoneStatus",
        "Moderation",
        "ProgressReport",
        "utcnow",
    ]
    assert usina.services.__all__ == [
        "audit",
        "lookups",
        "milestones",
        "participation",
        "progress",
        "validation",
    ]
    for module in (usina, usina.models, usina.services):
        for name in module.__all__:
            assert getattr(module, name) is not None, (module.__name__, name)


def test_builtins_use_only_public_hooks() -> None:
    from plugins.manager import BUILTINS

    for dotted in BUILTINS:
        module = __import__(dotted, fromlist=["_"])
        hooks = {
            n for n, f in inspect.getmembers(module, inspect.isfunction) if hasattr(f, "usina_impl")
        }
        assert hooks and hooks <= set(HOOKS), dotted


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every module a file imports, absolute, with its line (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.append((node.lineno, f"{base}.{node.module}" if node.module else base))
            elif node.module and node.module != "__future__":
                found.append((node.lineno, node.module))
    return found


#: Usina's own top-level packages: a plugin reaches them only through ``usina``.
INTERNAL = {"core", "tenants", "plugins", "graphql_schema", "workers", "tests", "benchmarks"}


def _offending(path: Path, own: str, root: Path = REPO) -> list[str]:
    out = []
    for line, module in _imports(path, root):
        top = module.split(".")[0]
        if top == "usina" or module == own or module.startswith(own + "."):
            continue
        if top in INTERNAL:
            out.append(f"{path.relative_to(root)}:{line} imports {module}")
    return out


def test_builtins_import_only_usina_and_their_own_package() -> None:
    """A built-in is written exactly as a third party writes a plugin (stdlib, third-party
    packages, ``usina``, and itself): if one needs more, the public API is missing it."""
    builtin = REPO / "plugins" / "builtin"
    problems = []
    for package in sorted(p for p in builtin.iterdir() if (p / "__init__.py").exists()):
        for path in sorted(package.rglob("*.py")):
            problems.extend(_offending(path, f"plugins.builtin.{package.name}"))
    assert problems == []


def test_the_fixture_plugin_outside_the_repository_imports_only_usina() -> None:
    path = REPO / "tests" / "fixture_plugin" / "usina_fixture.py"
    assert _offending(path, "tests.fixture_plugin") == []


def test_the_import_check_catches_an_internal_import(tmp_path: Path) -> None:
    """The check itself can fail: a file that reaches into ``core`` is reported."""
    sneaky = tmp_path / "plugins" / "builtin" / "kpi" / "sneaky.py"
    sneaky.parent.mkdir(parents=True)
    sneaky.write_text(
        "from core.lookups import get\nfrom usina import msg\nimport json\nfrom . import service\n"
    )
    assert _offending(sneaky, "plugins.builtin.kpi", tmp_path) == [
        "plugins/builtin/kpi/sneaky.py:1 imports core.lookups"
    ]


def test_every_built_in_setting_has_its_words_in_three_languages() -> None:
    """A form generated from a plugin's settings (the console's) shows each field's title in
    the reader's language: built-in settings and channel rules declare them all."""
    registry = make_plugin_manager(entrypoints=False)
    models = [info.settings for info in registry.infos.values() if info.settings]
    models += [spec.rules for _, spec in registry.channel_kinds.values() if spec.rules]
    assert len(models) >= 2
    for model in models:
        assert untitled(model) == [], model


async def test_the_settings_schema_speaks_the_callers_language(client: Any, world: World) -> None:
    query = "{ plugins { name settingsSchema } }"
    titles = {}
    for locale in ("es", "en", "pt"):
        answer = await gql(client, query, tenant=world.a.slug, headers={"Accept-Language": locale})
        (irm,) = [p for p in answer["data"]["plugins"] if p["name"] == "ogp_irm"]
        field = irm["settingsSchema"]["properties"]["min_consultation_days"]
        titles[locale] = field["title"]
        assert field["x-usina-i18n"]["title"][locale] == field["title"]
        assert (field["minimum"], field["maximum"], field["default"]) == (1, 365, 14)
    assert titles == {
        "es": "Consulta más corta (días)",
        "en": "Shortest consultation (days)",
        "pt": "Consulta mais curta (dias)",
    }
