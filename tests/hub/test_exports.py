"""Cells of staff's spreadsheets: a text that starts like a formula is written as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from hub.exports import append_xlsx_row, safe_cell, unescape_cell

HOSTILE = ['=HYPERLINK("https://x.test","Cliquez")', "+33 6 12", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_text_starting_like_a_formula_gets_an_apostrophe_and_comes_back(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert unescape_cell(safe_cell(value)) == value


@pytest.mark.parametrize("value", ["Marie", "", "l'été", "a=b", 3, -4, None])
def test_other_values_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value
    if isinstance(value, str):
        assert unescape_cell(value) == value


def test_an_apostrophe_staff_typed_before_a_word_stays() -> None:
    assert unescape_cell("'hui") == "'hui"


def test_a_csv_holds_no_live_formula_on_the_wire() -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([safe_cell(v) for v in HOSTILE])
    data = out.getvalue().encode()

    assert data.startswith(b'"\'=HYPERLINK(""https://x.test"",""Cliquez"")",\'+33 6 12,')
    assert data.endswith(b",'-2+3,'@SUM(A1),'\tx,'\rx\n")
    cells = next(csv.reader(io.StringIO(out.getvalue().replace("\r", "\\r"))))
    assert [unescape_cell(v) for v in cells[:-1]] == HOSTILE[:-1]


def test_an_xlsx_types_every_such_text_as_a_string(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    append_xlsx_row(sheet, ["Prénom", "Nombre"])
    append_xlsx_row(sheet, [*HOSTILE, 3])
    book.save(tmp_path / "export.xlsx")

    sheet = load_workbook(tmp_path / "export.xlsx").active
    assert sheet is not None
    cells = next(sheet.iter_rows(min_row=2))
    assert [c.data_type for c in cells] == ["s"] * len(HOSTILE) + ["n"]
    assert [c.value for c in cells[:4]] == HOSTILE[:4]  # as typed, no apostrophe in the sheet
