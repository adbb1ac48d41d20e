"""Text at the edges: one rule for what may enter, one safe form for what goes out.

Two kinds of character are never stored: the NUL byte (PostgreSQL's ``text`` cannot hold it,
and C libraries downstream cut strings at it) and a lone UTF-16 surrogate (a legal JSON
escape such as ``"\\ud800"``, which no UTF-8 encoder can write: a row holding one breaks every
answer that carries it). Everything that decodes text from outside (the GraphQL body and
query string, uploads' file names, CSV/XLSX and archive imports) calls ``refuse_bad_text``
once, before any SQL; services' ``core.validation.text`` checks again for the CLI's and the
jobs' callers.

On the way out, ``scrub`` turns whatever a row already holds into text every encoder takes
(a lone surrogate becomes U+FFFD, the replacement character), so an old row cannot make a
read, an export or an e-mail fail.
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import BadUserInput
from core.i18n import Message, msg

#: A NUL byte or any surrogate code point (in a Python ``str`` a surrogate is always lone:
#: a pair in the input decodes to the one character it encodes).
_BAD = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"

NUL_MESSAGE = msg(
    "Contains a NUL character (U+0000), which text cannot hold.",
    "Contiene un carácter NUL (U+0000), que un texto no puede contener.",
    "Contém um caractere NUL (U+0000), que um texto não pode conter.",
)
SURROGATE_MESSAGE = msg(
    "Contains a lone UTF-16 surrogate (an escape such as \\ud800 without its pair), "
    "which is not a character.",
    "Contiene un sustituto UTF-16 aislado (un escape como \\ud800 sin su par), "
    "que no es un carácter.",
    "Contém um substituto UTF-16 isolado (um escape como \\ud800 sem o seu par), "
    "que não é um caractere.",
)


def problem(value: str) -> Message | None:
    """Why ``value`` cannot be stored, or None when it can. (Three passes in C: a search for
    NUL, an ASCII test, and for other text an encoding that only a surrogate fails; a
    megabyte takes well under a millisecond, a regular expression several.)"""
    if "\x00" in value:
        return NUL_MESSAGE
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def first_bad_text(value: Any, path: str = "") -> tuple[str, Message] | None:
    """The path (``in.evidence.0.title``) and the reason of the first string, key or value,
    in a JSON-like ``value`` that cannot be stored; None when every one can. Iterative, so a
    deeply nested value cannot exhaust the stack."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            reason = problem(item)
            if reason is not None:
                return where, reason
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and (reason := problem(key)) is not None:
                    return _printable_path(child_path), reason
                stack.append((child_path, child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}.{i}" if where else str(i), c) for i, c in enumerate(item))
    return None


def refuse_bad_text(value: Any, path: str = "") -> None:
    """Raise ``BadUserInput`` naming the first string of ``value`` that cannot be stored."""
    found = first_bad_text(value, path)
    if found is not None:
        where, reason = found
        raise BadUserInput(reason, field=_printable_path(where) or None)


def _printable_path(path: str) -> str:
    """A path that names a field by a bad key still has to be encodable in the answer."""
    return _BAD.sub(REPLACEMENT, path)


def printable(value: str) -> str:
    """``value`` with every lone surrogate replaced by U+FFFD (NUL bytes are kept: every
    encoder of ours escapes them)."""
    return _SURROGATE.sub(REPLACEMENT, value) if _SURROGATE.search(value) else value


def scrub(value: Any) -> Any:
    """A copy of a JSON-like ``value`` in which every string is ``printable``: what a row
    already holds can always be written out. Only called after an encoder refused."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


_CONTROL = re.compile("[\x00-\x1f\x7f\u2028\u2029]+")


def header_value(value: str) -> str:
    """``value`` as one line for a header built from what people wrote (an e-mail's subject
    from a proposal's title): line breaks and other control characters become one space, and
    lone surrogates U+FFFD, so the header can always be written (a CR/LF would otherwise make
    the e-mail library refuse it, and the delivery fail for good)."""
    return printable(_CONTROL.sub(" ", value)).strip()
