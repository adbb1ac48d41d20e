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
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from core.text import printable

#: What makes a spreadsheet read a cell as a formula (OWASP's list), and our own marker.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would evaluate is marked as text."""
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return ["" if value is None else csv_cell(value) for value in values]


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
