"""What a spreadsheet receives: cells that never run what someone wrote.

A municipality's open data is opened in Excel, LibreOffice and Google Sheets by anyone. A
title such as ``=HYPERLINK("http://example.invalid","Clic aquí")`` would be a live formula
there (OWASP: CSV injection). So, in every CSV and XLSX the product writes:

- a CSV cell of text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  (or with the apostrophe this rule adds) is written with a leading apostrophe, which
  spreadsheets read as "this is text" and do not show; numbers are written as numbers;
- an XLSX cell of text is always a string cell (openpyxl would make a formula of a string
  that begins with ``=``), and characters XML cannot hold are left out;
- an imported CSV cell loses one leading apostrophe, so export then import gives back the
  same text.

A CSV is written in one of two dialects: RFC 4180's (``,`` and a decimal point: what harvesters
and programs read, the default) or the one Excel uses in the reader's language (``Dialect.excel``:
in Spanish and Portuguese, where the decimal mark is a comma, the separator is ``;``), so that a
double click opens it in columns with numbers as numbers. The import reads both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from babel.numbers import get_decimal_symbol
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from core.text import printable

#: What makes a spreadsheet read a cell as a formula (OWASP's list), and our own marker.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    decimal: str = "."

    @classmethod
    def excel(cls, locale: str) -> Dialect:
        """The CSV Excel writes and opens in ``locale``'s language (es, pt: ``;`` and ``,``)."""
        from core.words import CLDR

        decimal = get_decimal_symbol(CLDR.get(locale, "en"))
        return cls(delimiter=";" if decimal == "," else ",", decimal=decimal)


RFC4180 = Dialect()


def dialect_named(name: str | None, locale: str) -> Dialect | None:
    """``?dialect=`` of an export's address: ``excel`` (the reader's language's), ``rfc4180``
    or nothing (the default); ``None`` for anything else."""
    if name in (None, "", "rfc4180"):
        return RFC4180
    return Dialect.excel(locale) if name == "excel" else None


def csv_cell(value: Any, dialect: Dialect = RFC4180) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would evaluate is marked as text; a
    fraction takes the dialect's decimal mark."""
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    elif isinstance(value, float) and dialect.decimal != ".":
        return repr(value).replace(".", dialect.decimal)
    return value


def csv_row(values: Iterable[Any], dialect: Dialect = RFC4180) -> list[Any]:
    return ["" if value is None else csv_cell(value, dialect) for value in values]


def from_csv_cell(value: str) -> str:
    """An imported CSV cell: the apostrophe ``csv_cell`` adds is taken away."""
    return value[1:] if value.startswith("'") else value


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """A row of an XLSX sheet: text is always a string cell, never a formula."""
    row = [
        ILLEGAL_CHARACTERS_RE.sub("", printable(value)) if isinstance(value, str) else value
        for value in values
    ]
    sheet.append(row)
    for cell, value in zip(sheet[sheet.max_row], row, strict=False):
        if isinstance(value, str):
            cell.data_type = "s"
