"""Every user-facing text in English, Spanish and Portuguese, and each in its own language.

The catalogue is every ``msg(...)`` in the code (read from its syntax, so a text raised only on a
rare path is checked too), the texts the built-in plugins declare and ship as data, the e-mail
templates, the report's labels and the translation tables. A text of one language must not
carry words that only another language has ("del compromiso" in an English sentence, "não" in a
Spanish one); the Spanish and the Portuguese text of a message say the same values.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any

import pytest

from core.exports.plan import LABELS
from core.i18n import LANGUAGES, Message
from core.identity.tokens import REASONS_ES, REASONS_PT
from core.notifications.participants import RELATION
from core.notifications.templates import TEMPLATES
from graphql_schema.graphql_messages import GENERIC_ES, GENERIC_PT, SHAPES
from plugins.activation import PYDANTIC
from plugins.manager import make_plugin_manager
from tests.conftest import REPO

PACKAGES = ("core", "tenants", "plugins", "graphql_schema", "workers", "usina")

#: Words only one of the three languages has (lower case, whole words): a text of another
#: language that holds one has a sentence, or a fragment, left untranslated. Names in code
#: (``'first'``, ``X-Tenant``, ``{slug}``) are not words of a sentence.
ONLY = {
    "en": {
        "the", "is", "and", "of", "with", "must", "cannot", "this", "your", "was", "has",
        "would", "should", "which", "there", "not", "only",
    },
    "es": {
        "el", "los", "las", "del", "y", "una", "puede", "debe", "ya", "hay", "sin", "su",
        "sus", "con", "al", "usted", "ningún", "ninguna", "aún", "aquí", "cuando", "pero",
        "muy", "también",
    },
    "pt": {
        "não", "você", "uma", "um", "com", "ao", "às", "pelo", "pela", "são", "é", "já", "só",
        "aqui", "nenhum", "nenhuma", "sem", "seu", "sua", "seus", "suas", "deve", "ainda",
        "pode", "ou",
    },
}  # fmt: skip
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)  # recebê-los is one word


def words(text: str) -> set[str]:
    # Names in code (roleMapping, sha256Hash, X-Tenant, <token>) are not sentences' words.
    text = re.sub(r"'[^']*'|`[^`]*`|<[^>]*>|\{[^}]*\}|\S+[._]\S+", " ", text)
    return {w.lower() for w in WORD.findall(text)}


def foreign_words(language: str, text: str) -> set[str]:
    found = words(text)
    return {w for other in LANGUAGES if other != language for w in ONLY[other] & found}


# -- the texts in the code -----------------------------------------------------------------


def _literal(node: ast.expr) -> str | None:
    """The constant text of a string, an f-string (values as ``{}``), a concatenation, or a
    conditional of two of them (``None``: not a literal)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.IfExp):
        body, orelse = _literal(node.body), _literal(node.orelse)
        return None if body is None or orelse is None else f"{body} {orelse}"
    return None


def _values(node: ast.expr) -> list[str]:
    """The f-string values of a text, as the same value in every language: language suffixes
    removed (``now_es`` -> ``now``), each language's own words and names of texts blanked."""
    found = [ast.unparse(v.value) for v in ast.walk(node) if isinstance(v, ast.FormattedValue)]
    normal = []
    for value in found:
        value = re.sub(r"'[^']*'|\"[^\"]*\"", "''", value)  # words of each language
        value = re.sub(r"(_|\.)(en|es|pt)\b", "", value)
        value = re.sub(r"\b(en|es|pt|spanish|portuguese|reason)\b", "<text>", value)
        normal.append(value)
    return sorted(normal)


def msg_calls() -> Iterator[tuple[str, list[ast.expr]]]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "msg"
                ):
                    yield f"{path.relative_to(REPO)}:{node.lineno}", list(node.args)


CALLS = list(msg_calls())


def test_the_code_has_texts_to_check() -> None:
    assert len(CALLS) > 200


@pytest.mark.parametrize("where, args", CALLS, ids=[where for where, _ in CALLS])
def test_every_text_in_the_code_has_three_languages_each_in_its_own(
    where: str, args: list[ast.expr]
) -> None:
    if any(isinstance(a, ast.Starred) for a in args):  # msg(*names): checked as data
        return
    assert len(args) == len(LANGUAGES), f"{where}: msg takes en, es and pt"
    texts = [_literal(a) for a in args]
    if any(t is None for t in texts):  # built from variables: checked where they are kept
        return
    for language, text in zip(LANGUAGES, texts, strict=True):
        assert text and text.strip(), f"{where}: empty {language} text"
        assert not foreign_words(language, text), (where, language, text)
    # The translations say every value the other says (English may say pydantic's own words).
    assert _values(args[1]) == _values(args[2]), where


# -- texts kept as data ----------------------------------------------------------------------


def messages_in(value: Any, seen: set[int] | None = None) -> Iterator[Message]:
    """Every Message reachable from a plugin's records (specs, scales, criteria, ...)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Message):
        yield value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from messages_in(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from messages_in(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from messages_in(item, seen)


def plugin_messages() -> list[Message]:
    registry = make_plugin_manager()
    found: list[Message] = []
    for table in (registry.instruments, registry.channel_kinds, registry.frameworks):
        for _plugin, spec in table.values():
            found += messages_in(spec)
    for info in registry.infos.values():
        found += messages_in(info)
    return found


def test_the_plugins_texts_have_three_languages_each_in_its_own() -> None:
    texts = plugin_messages()
    assert len(texts) > 100  # the instruments' indicators, the frameworks' scales, ...
    for message in texts:
        if not any(message.as_dict().values()):  # no text at all (an indicator's guidance)
            continue
        for language in LANGUAGES:
            text = getattr(message, language)
            assert text.strip(), message
            assert not foreign_words(language, text), (language, text)


@pytest.mark.parametrize(
    "path", sorted((REPO / "plugins" / "builtin").rglob("definition-*.json")), ids=str
)
def test_every_text_of_a_shipped_definition_has_three_languages(path: Any) -> None:
    def texts(value: Any) -> Iterator[dict[str, str]]:
        if isinstance(value, dict):
            if "en" in value:
                yield value
            for item in value.values():
                yield from texts(item)
        elif isinstance(value, list):
            for item in value:
                yield from texts(item)

    found = list(texts(json.loads(path.read_text(encoding="utf-8"))))
    assert found
    for text in found:
        assert set(text) == set(LANGUAGES), text
        for language in LANGUAGES:
            assert text[language].strip() and not foreign_words(language, text[language]), text


def test_every_e_mail_and_report_label_exists_in_each_language() -> None:
    for name, templates in TEMPLATES.items():
        assert set(templates) == set(LANGUAGES), name
        for language, template in templates.items():
            for part in (template.subject.template, template.body.template):
                assert not foreign_words(language, part), (name, language, part)
        placeholders = {
            language: sorted(set(t.subject.get_identifiers()) | set(t.body.get_identifiers()))
            for language, t in templates.items()
        }
        assert len({tuple(p) for p in placeholders.values()}) == 1, (name, placeholders)
    assert set(LABELS) == set(LANGUAGES)
    assert len({frozenset(labels) for labels in LABELS.values()}) == 1
    assert set(RELATION) == set(LANGUAGES)


@pytest.mark.parametrize(
    "spanish, portuguese",
    [
        (REASONS_ES, REASONS_PT),
        ({k: m.es for k, m in PYDANTIC.items()}, {k: m.pt for k, m in PYDANTIC.items()}),
        (GENERIC_ES, GENERIC_PT),
    ],
    ids=["token reasons", "pydantic's errors", "GraphQL's errors"],
)
def test_the_translation_tables_have_the_same_keys(
    spanish: dict[str, str], portuguese: dict[str, str]
) -> None:
    assert set(spanish) == set(portuguese)
    for key in spanish:
        assert not foreign_words("es", spanish[key]), spanish[key]
        assert not foreign_words("pt", portuguese[key]), portuguese[key]


def test_pydantic_s_messages_keep_their_constraint_in_each_language() -> None:
    for key, message in PYDANTIC.items():
        fields = {
            language: sorted(re.findall(r"{(\w+)}", getattr(message, language)))
            for language in ("en", "es", "pt")
        }
        assert fields["es"] == fields["pt"] == fields["en"], (key, fields)


def test_graphql_s_own_messages_have_a_shape_in_each_language() -> None:
    for _english, spanish, portuguese in SHAPES:
        assert not foreign_words("es", spanish), spanish
        assert not foreign_words("pt", portuguese), portuguese


def test_a_text_with_words_of_another_language_is_caught() -> None:
    """The check itself: the kinds of fragment this suite was written to catch."""
    assert foreign_words("es", "No puede estar vacío; the value is required.") == {"the", "is"}
    assert foreign_words("pt", "O plano del municipio") == {"del"}
    assert foreign_words("en", "The plan não existe") == {"não"}
    assert foreign_words("pt", "Use 'X-Tenant' com o valor {slug}") == set()
