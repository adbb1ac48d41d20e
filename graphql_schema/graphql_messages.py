"""graphql-core's own messages (parsing, validation, variables) in Spanish too: they are in
English only, and a Spanish-speaking client should not get a sentence it cannot read.

The most frequent shapes are translated with their names kept; any other message gets a
Spanish sentence that says what kind of mistake it is, and keeps the English one in
``extensions.message.en``.
"""

from __future__ import annotations

import re

from core.i18n import Message, msg

_NAME = r"'([^']+)'"
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), spanish)
    for pattern, spanish in (
        (
            rf"^Cannot query field {_NAME} on type {_NAME}\. Did you mean (.+)\?$",
            r"No se puede consultar el campo '\1' en el tipo '\2'. ¿Quiso decir \3?",
        ),
        (
            rf"^Cannot query field {_NAME} on type {_NAME}\.$",
            r"No se puede consultar el campo '\1' en el tipo '\2'.",
        ),
        (
            rf"^Field {_NAME} of type {_NAME} must have a selection of subfields\..*$",
            r"El campo '\1' de tipo '\2' necesita una selección de subcampos.",
        ),
        (
            rf"^Field {_NAME} must not have a selection since type {_NAME} has no subfields\.$",
            r"El campo '\1' no lleva selección: su tipo '\2' no tiene subcampos.",
        ),
        (
            rf"^Unknown argument {_NAME} on field {_NAME}\..*$",
            r"El campo '\2' no tiene el argumento '\1'.",
        ),
        (
            rf"^Field {_NAME} argument {_NAME} of type {_NAME} is required, but it was not "
            r"provided\.$",
            r"Falta el argumento obligatorio '\2' (de tipo '\3') del campo '\1'.",
        ),
        (
            rf"^Variable {_NAME} of required type {_NAME} was not provided\.$",
            r"Falta la variable '\1', de tipo obligatorio '\2'.",
        ),
        (
            rf"^Variable {_NAME} of non-null type {_NAME} must not be null\.$",
            r"La variable '\1', de tipo '\2', no puede ser nula.",
        ),
        (
            rf"^Variable {_NAME} has invalid value: Expected a value of non-null type {_NAME} "
            r"to be provided\.$",
            r"Falta la variable '\1', de tipo obligatorio '\2'.",
        ),
        (
            rf"^Variable {_NAME} has invalid value.*$",
            r"La variable '\1' tiene un valor inválido.",
        ),
        (
            rf"^Variable {_NAME} got invalid value .*$",
            r"La variable '\1' tiene un valor inválido.",
        ),
        (
            rf"^Variable {_NAME} is not defined.*$",
            r"La variable '\1' no está declarada.",
        ),
        (
            rf"^Variable {_NAME} is never used.*$",
            r"La variable '\1' no se usa.",
        ),
        (rf"^Unknown type {_NAME}\..*$", r"El tipo '\1' no existe."),
        (
            rf"^Expected value of type {_NAME}, found (.+?)(;.*)?$",
            r"Se esperaba un valor de tipo '\1' y se encontró \2.",
        ),
        (rf"^Unknown fragment {_NAME}\.$", r"El fragmento '\1' no existe."),
        (rf"^Fragment {_NAME} is never used\.$", r"El fragmento '\1' no se usa."),
        (
            r"^This anonymous operation must be the only defined operation\.$",
            r"Una operación sin nombre debe ser la única del documento.",
        ),
        (
            rf"^Unknown operation named {_NAME}\.$",
            r"No hay ninguna operación llamada '\1'.",
        ),
        (r"^Syntax Error: .*$", r"Error de sintaxis en el documento GraphQL."),
    )
)
#: By ``extensions.code``: what to say when no pattern knows the message.
GENERIC_ES = {
    "GRAPHQL_PARSE_FAILED": "Error de sintaxis en el documento GraphQL.",
    "GRAPHQL_VALIDATION_FAILED": "El documento GraphQL no es válido para este esquema.",
    "BAD_USER_INPUT": "Un valor de las variables no es válido.",
    "QUERY_TOO_COMPLEX": "El documento GraphQL es demasiado grande.",
}


def translated(english: str, code: str) -> Message:
    for pattern, spanish in PATTERNS:
        if pattern.match(english):
            # Suggestions list names with English conjunctions: "'a', 'b', or 'c'".
            text = pattern.sub(spanish, english).replace("', or '", "' o '")
            return msg(english, text.replace("' or '", "' o '"))
    return msg(english, GENERIC_ES.get(code, "La solicitud GraphQL no es válida."))
