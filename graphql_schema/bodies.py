"""Request and response bodies: decoded strictly at the edge, encoded whatever a row holds."""

from __future__ import annotations

import copy
import json
from contextvars import ContextVar

import orjson
from cross_web import HTTPException

from core.errors import MalformedRequest
from core.i18n import msg
from core.text import scrub

NOT_UTF8 = msg(
    "The request body is not valid UTF-8.",
    "El cuerpo de la solicitud no es UTF-8 válido.",
    "O corpo da solicitação não é UTF-8 válido.",
)
TOO_DEEP = msg(
    "The request body is nested more than 1,024 levels deep.",
    "El cuerpo de la solicitud tiene más de 1.024 niveles de anidamiento.",
    "O corpo da solicitação tem mais de 1.024 níveis de aninhamento.",
)
NOT_A_REQUEST = msg(
    "The request body must be a JSON object (or a list of them, for a batch).",
    "El cuerpo de la solicitud debe ser un objeto JSON (o una lista de ellos, para un lote).",
    "O corpo da solicitação deve ser um objeto JSON (ou uma lista deles, para um lote).",
)


#: The body this request's cache planning decoded already, and what it decoded to: the view's
#: parsing reuses it rather than decoding a (perhaps megabyte-long) body twice.
DECODED: ContextVar[tuple[bytes, object] | None] = ContextVar("usina_decoded", default=None)


def decode_body(data: str | bytes) -> object:
    """A GraphQL request body decoded strictly: valid UTF-8, at most 1,024 levels deep
    (orjson's limit), an object or a list of objects; anything else is ``MalformedRequest``
    (HTTP 400). Lone surrogates, which orjson refuses, are decoded by the standard library so
    that the view can name the field that holds one (``core.text.refuse_bad_text``)."""
    known = DECODED.get()
    if known is not None and known[0] is data:
        return copy.deepcopy(known[1])  # strawberry and the view change what they are given
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        decoded = _decode_leniently(data, error)
    if not isinstance(decoded, dict | list) or (
        isinstance(decoded, list) and not all(isinstance(item, dict) for item in decoded)
    ):
        raise MalformedRequest(NOT_A_REQUEST)
    return decoded


def encode_body(data: object) -> bytes:
    """``data`` as compact UTF-8 JSON, whatever its strings hold (see ``encode_json``)."""
    try:
        return orjson.dumps(data)
    except TypeError:
        data = scrub(data)
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _decode_leniently(data: str | bytes, error: Exception) -> object:
    """The standard library's reading of a body orjson refused, or the refusal that says
    why: not UTF-8, too deep, not JSON. Only lone surrogates pass here (to be named)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRequest(NOT_UTF8) from error
    if "depth limit" in str(error):
        raise MalformedRequest(TOO_DEEP) from error
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise HTTPException(400, "Unable to parse request body as JSON") from error
