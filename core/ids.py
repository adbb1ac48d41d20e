"""Identifiers: time-ordered UUIDs (version 7, RFC 9562) so that B-tree inserts stay local.

Within one process the IDs are strictly increasing: inside one millisecond the 12-bit
``rand_a`` field counts up (RFC 9562, section 6.2, method 1), so the creation order of rows
(audit events, reports) can be read from their IDs.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
import uuid

from core.errors import BadUserInput
from core.i18n import msg

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> uuid.UUID:
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, int.from_bytes(os.urandom(2), "big") & 0x3FF
        else:  # same millisecond (or the clock stepped back): keep counting
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def to_global_id(type_name: str, id_: uuid.UUID) -> str:
    """A Relay global ID: base64url of ``Type:uuid``, unpadded."""
    raw = f"{type_name}:{id_}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_id(field: str | None) -> BadUserInput:
    return BadUserInput(msg("Malformed ID.", "ID mal formado.", "ID malformado."), field=field)


def from_global_id(value: str, *, field: str | None = None) -> tuple[str, uuid.UUID]:
    try:
        padded = value + "=" * (-len(value) % 4)
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        return type_name, uuid.UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _bad_id(field) from None


def decode_id(value: str, expected: str, *, field: str) -> uuid.UUID:
    """The UUID of a global ID that must name an object of type ``expected``."""
    type_name, id_ = from_global_id(value, field=field)
    if type_name != expected:
        raise BadUserInput(
            msg(
                f"Expected the ID of a {expected}.",
                f"Se esperaba el ID de un {expected}.",
                f"Esperava-se o ID de um(a) {expected}.",
            ),
            field=field,
        )
    return id_
