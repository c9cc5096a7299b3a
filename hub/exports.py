"""Cells of the files staff open in a spreadsheet (exports, import reports): never a formula.

Names, organisations and answers are typed by anyone on a public form. A value such as
`=HYPERLINK("https://…","Cliquez")` or `@SUM(…)` would run as a formula in Excel or LibreOffice
when staff open the file (CSV injection): every writer passes its cells through here. A CSV
cell that starts like a formula is written after an apostrophe, which spreadsheets read as
"text"; an xlsx cell keeps its value but is typed as a string. Importing such a CSV again
removes the apostrophe (`unescape_cell`), so an export stays re-importable as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# What a spreadsheet takes for the start of a formula (OWASP's list): =, +, -, @, tab, CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def _formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """A CSV cell: a text starting like a formula gets a leading apostrophe; the rest as is."""
    return TEXT_MARK + value if _formula_like(value) else value


def unescape_cell(value: str) -> str:
    """A CSV cell as `safe_cell` received it: the apostrophe it added removed."""
    if value.startswith(TEXT_MARK) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def append_xlsx_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet with every text typed as text: openpyxl itself
    would store a text starting with "=" as a formula."""
    values = list(values)
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if _formula_like(value):
            cell.data_type = "s"
