"""graphql-core's own messages (parsing, validation, variables) in Spanish and Portuguese too:
they are in English only, and a client in another language should not get a sentence it cannot
read.

The most frequent shapes are translated with their names kept; any other message gets a
sentence in each language that says what kind of mistake it is, and keeps the English one in
``extensions.message.en``.
"""

from __future__ import annotations

import re

from core.i18n import Message, msg

_NAME = r"'([^']+)'"
#: (English message, Spanish, Portuguese): the messages' shapes, names kept.
SHAPES: tuple[tuple[str, str, str], ...] = (
    (
        rf"^Cannot query field {_NAME} on type {_NAME}\. Did you mean (.+)\?$",
        r"No se puede consultar el campo '\1' en el tipo '\2'. ¿Quiso decir \3?",
        r"Não é possível consultar o campo '\1' no tipo '\2'. Você quis dizer \3?",
    ),
    (
        rf"^Cannot query field {_NAME} on type {_NAME}\.$",
        r"No se puede consultar el campo '\1' en el tipo '\2'.",
        r"Não é possível consultar o campo '\1' no tipo '\2'.",
    ),
    (
        rf"^Field {_NAME} of type {_NAME} must have a selection of subfields\..*$",
        r"El campo '\1' de tipo '\2' necesita una selección de subcampos.",
        r"O campo '\1' do tipo '\2' precisa de uma seleção de subcampos.",
    ),
    (
        rf"^Field {_NAME} must not have a selection since type {_NAME} has no subfields\.$",
        r"El campo '\1' no lleva selección: su tipo '\2' no tiene subcampos.",
        r"O campo '\1' não leva seleção: o seu tipo '\2' não tem subcampos.",
    ),
    (
        rf"^Unknown argument {_NAME} on field {_NAME}\..*$",
        r"El campo '\2' no tiene el argumento '\1'.",
        r"O campo '\2' não tem o argumento '\1'.",
    ),
    (
        rf"^Field {_NAME} argument {_NAME} of type {_NAME} is required, but it was not "
        r"provided\.$",
        r"Falta el argumento obligatorio '\2' (de tipo '\3') del campo '\1'.",
        r"Falta o argumento obrigatório '\2' (do tipo '\3') do campo '\1'.",
    ),
    (
        rf"^Variable {_NAME} of required type {_NAME} was not provided\.$",
        r"Falta la variable '\1', de tipo obligatorio '\2'.",
        r"Falta a variável '\1', de tipo obrigatório '\2'.",
    ),
    (
        rf"^Variable {_NAME} of non-null type {_NAME} must not be null\.$",
        r"La variable '\1', de tipo '\2', no puede ser nula.",
        r"A variável '\1', do tipo '\2', não pode ser nula.",
    ),
    (
        rf"^Variable {_NAME} has invalid value: Expected a value of non-null type {_NAME} "
        r"to be provided\.$",
        r"Falta la variable '\1', de tipo obligatorio '\2'.",
        r"Falta a variável '\1', de tipo obrigatório '\2'.",
    ),
    (
        rf"^Variable {_NAME} has invalid value.*$",
        r"La variable '\1' tiene un valor inválido.",
        r"A variável '\1' tem um valor inválido.",
    ),
    (
        rf"^Variable {_NAME} got invalid value .*$",
        r"La variable '\1' tiene un valor inválido.",
        r"A variável '\1' tem um valor inválido.",
    ),
    (
        rf"^Variable {_NAME} is not defined.*$",
        r"La variable '\1' no está declarada.",
        r"A variável '\1' não está declarada.",
    ),
    (
        rf"^Variable {_NAME} is never used.*$",
        r"La variable '\1' no se usa.",
        r"A variável '\1' não é usada.",
    ),
    (rf"^Unknown type {_NAME}\..*$", r"El tipo '\1' no existe.", r"O tipo '\1' não existe."),
    (
        rf"^Expected value of type {_NAME}, found (.+?)(;.*)?$",
        r"Se esperaba un valor de tipo '\1' y se encontró \2.",
        r"Esperava-se um valor do tipo '\1' e foi encontrado \2.",
    ),
    (
        rf"^Unknown fragment {_NAME}\.$",
        r"El fragmento '\1' no existe.",
        r"O fragmento '\1' não existe.",
    ),
    (
        rf"^Fragment {_NAME} is never used\.$",
        r"El fragmento '\1' no se usa.",
        r"O fragmento '\1' não é usado.",
    ),
    (
        r"^This anonymous operation must be the only defined operation\.$",
        r"Una operación sin nombre debe ser la única del documento.",
        r"Uma operação sem nome deve ser a única do documento.",
    ),
    (
        rf"^Unknown operation named {_NAME}\.$",
        r"No hay ninguna operación llamada '\1'.",
        r"Não há nenhuma operação chamada '\1'.",
    ),
    (
        r"^Syntax Error: .*$",
        r"Error de sintaxis en el documento GraphQL.",
        r"Erro de sintaxe no documento GraphQL.",
    ),
)
PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), spanish, portuguese) for pattern, spanish, portuguese in SHAPES
)
#: By ``extensions.code``: what to say when no pattern knows the message.
GENERIC_ES = {
    "GRAPHQL_PARSE_FAILED": "Error de sintaxis en el documento GraphQL.",
    "GRAPHQL_VALIDATION_FAILED": "El documento GraphQL no es válido para este esquema.",
    "BAD_USER_INPUT": "Un valor de las variables no es válido.",
    "QUERY_TOO_COMPLEX": "El documento GraphQL es demasiado grande.",
}
GENERIC_PT = {
    "GRAPHQL_PARSE_FAILED": "Erro de sintaxe no documento GraphQL.",
    "GRAPHQL_VALIDATION_FAILED": "O documento GraphQL não é válido para este esquema.",
    "BAD_USER_INPUT": "Um valor das variáveis não é válido.",
    "QUERY_TOO_COMPLEX": "O documento GraphQL é grande demais.",
}


def translated(english: str, code: str) -> Message:
    for pattern, spanish, portuguese in PATTERNS:
        if pattern.match(english):
            # Suggestions list names with English conjunctions: "'a', 'b', or 'c'".
            es = pattern.sub(spanish, english).replace("', or '", "' o '")
            pt = pattern.sub(portuguese, english).replace("', or '", "' ou '")
            return msg(english, es.replace("' or '", "' o '"), pt.replace("' or '", "' ou '"))
    return msg(
        english,
        GENERIC_ES.get(code, "La solicitud GraphQL no es válida."),
        GENERIC_PT.get(code, "A solicitação GraphQL não é válida."),
    )
