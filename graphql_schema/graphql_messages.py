"""graphql-core's own messages (parsing, validation, variables) in Spanish and Portuguese too:
they are in English only, and a client in another language should not get a sentence it cannot
read.

The most frequent shapes are translated with every name, value and number kept (the i18n
test compares them across the languages); where graphql-core's English is unclear (a date's
"Invalid isoformat string") it is rewritten too. A variable's message is its prefix (which
variable, where in it) and a reason (what was wrong with the value), each translated. Any other
message gets a sentence in each language that says what kind of mistake it is, and keeps the
English one in ``extensions.message.en``.
"""

from __future__ import annotations

import re

from core.i18n import Message, msg
from core.words import capitalized

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
        rf"^Expected value of type {_NAME} to include required field {_NAME}, found: (.+)\.$",
        r"Al valor de tipo '\1' le falta el campo obligatorio '\2'; se recibió: \3.",
        r"Ao valor do tipo '\1' falta o campo obrigatório '\2'; foi recebido: \3.",
    ),
    (
        r"^Syntax Error: Expected (.+), found (.+)\.$",
        r"Error de sintaxis: se esperaba \1 y se encontró \2.",
        r"Erro de sintaxe: esperava-se \1 e foi encontrado \2.",
    ),
    (
        r"^Syntax Error: Unexpected (.+)\.$",
        r"Error de sintaxis: \1 inesperado.",
        r"Erro de sintaxe: \1 inesperado.",
    ),
    (
        r"^Syntax Error: Unterminated string\.$",
        r"Error de sintaxis: una cadena sin cerrar.",
        r"Erro de sintaxe: uma cadeia sem fechar.",
    ),
    (
        r"^Syntax Error: .*$",
        r"Error de sintaxis en el documento GraphQL.",
        r"Erro de sintaxe no documento GraphQL.",
    ),
)
#: What was wrong with a value (graphql-core's and Python's reasons): (pattern, English,
#: Spanish, Portuguese); the English is ours where graphql-core's is unclear.
_DATE = r'Value cannot represent a (Date|DateTime): "(.*)"\. Invalid isoformat string: .*'
REASONS: tuple[tuple[str, str, str, str], ...] = (
    (
        _DATE.replace("(Date|DateTime)", "Date"),
        r"'\1' is not a date; write it YYYY-MM-DD",
        r"'\1' no es una fecha; escríbala AAAA-MM-DD",
        r"'\1' não é uma data; escreva-a AAAA-MM-DD",
    ),
    (
        _DATE.replace("(Date|DateTime)", "DateTime"),
        r"'\1' is not a date and time; write it as RFC 3339 says, e.g. 2026-12-31T18:00:00-03:00",
        r"'\1' no es una fecha y hora; escríbala como dice RFC 3339, p. ej. "
        r"2026-12-31T18:00:00-03:00",
        r"'\1' não é uma data e hora; escreva-a como diz a RFC 3339, p. ex. "
        r"2026-12-31T18:00:00-03:00",
    ),
    (
        r"Int cannot represent non 32-bit signed integer value: (.+)",
        r"an Int is a whole number from -2147483648 to 2147483647, not \1",
        r"un Int es un número entero de -2147483648 a 2147483647, no \1",
        r"um Int é um número inteiro de -2147483648 a 2147483647, não \1",
    ),
    (
        r"Int cannot represent non-integer value: (.+)",
        r"an Int is a whole number, not \1",
        r"un Int es un número entero, no \1",
        r"um Int é um número inteiro, não \1",
    ),
    (
        r"Float cannot represent non numeric value: (.+)",
        r"a Float is a number, not \1",
        r"un Float es un número, no \1",
        r"um Float é um número, não \1",
    ),
    (
        r"String cannot represent a non string value: (.+)",
        r"a String is a text, not \1",
        r"un String es un texto, no \1",
        r"um String é um texto, não \1",
    ),
    (
        r"Boolean cannot represent a non boolean value: (.+)",
        r"a Boolean is true or false, not \1",
        r"un Boolean es true o false, no \1",
        r"um Boolean é true ou false, não \1",
    ),
    (
        r"ID cannot represent value: (.+)",
        r"an ID is a text, not \1",
        r"un ID es un texto, no \1",
        r"um ID é um texto, não \1",
    ),
    (
        rf"Value {_NAME} does not exist in {_NAME} enum\. Did you mean the enum value (.+)\?",
        r"'\1' is not one of the values of '\2'; did you mean \3?",
        r"'\1' no es uno de los valores de '\2'; ¿quiso decir \3?",
        r"'\1' não é um dos valores de '\2'; você quis dizer \3?",
    ),
    (
        rf"Value {_NAME} does not exist in {_NAME} enum",
        r"'\1' is not one of the values of '\2'",
        r"'\1' no es uno de los valores de '\2'",
        r"'\1' não é um dos valores de '\2'",
    ),
    (
        rf"Field {_NAME} of required type {_NAME} was not provided",
        r"the required field '\1' (of type '\2') is missing",
        r"falta el campo obligatorio '\1' (de tipo '\2')",
        r"falta o campo obrigatório '\1' (do tipo '\2')",
    ),
    (
        rf"Field {_NAME} is not defined by type {_NAME}\.(.*)",
        r"'\2' has no field '\1'",
        r"'\2' no tiene el campo '\1'",
        r"'\2' não tem o campo '\1'",
    ),
    (
        r"Expected type (.+?) to be an object",
        r"\1 is an object",
        r"\1 es un objeto",
        r"\1 é um objeto",
    ),
)
REASON_PATTERNS = tuple((re.compile(f"^{pattern}$"), en, es, pt) for pattern, en, es, pt in REASONS)
_VARIABLE = re.compile(
    r"^Variable '(\$\w+)' (?:has invalid value|got invalid value (?P<value>.+?);)"
    r"(?: at (?P<at>\S+?))?:? (?P<reason>.+?)\.?$"
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


def _reason(english: str) -> Message | None:
    english = english.rstrip(".")
    for pattern, en, es, pt in REASON_PATTERNS:
        if pattern.match(english):
            return msg(pattern.sub(en, english), pattern.sub(es, english), pattern.sub(pt, english))
    date = re.match(r'^Value cannot represent a (\w+): "(.*)"\..*$', english)
    if date:  # another scalar's refusal: say which, and the value
        name, value = date.groups()
        return msg(
            f"'{value}' is not a valid {name}",
            f"'{value}' no es un {name} válido",
            f"'{value}' não é um {name} válido",
        )
    return None


def _variable(english: str) -> Message | None:
    """``Variable '$in' has invalid value at .startDate: <reason>``, in three languages."""
    found = _VARIABLE.match(english)
    if not found:
        return None
    reason = _reason(found["reason"])
    if reason is None:
        return None
    name, at = found.group(1), (found["at"] or "").lstrip(".")
    if at:
        return msg(
            f"Variable '{name}' has an invalid value at '{at}': {reason.en}.",
            f"La variable '{name}' tiene un valor inválido en '{at}': {reason.es}.",
            f"A variável '{name}' tem um valor inválido em '{at}': {reason.pt}.",
        )
    return msg(
        f"Variable '{name}' has an invalid value: {reason.en}.",
        f"La variable '{name}' tiene un valor inválido: {reason.es}.",
        f"A variável '{name}' tem um valor inválido: {reason.pt}.",
    )


def translated(english: str, code: str) -> Message:
    variable = _variable(english)
    if variable is not None:
        return variable
    reason = _reason(english.rstrip("."))
    if reason is not None:  # a literal in the document, refused by its type
        return msg(*(capitalized(text) + "." for text in (reason.en, reason.es, reason.pt)))
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
