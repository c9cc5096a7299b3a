"""Records read from real SQLite rows by field name (hub/records.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from hub.records import from_row


@dataclass(frozen=True)
class Sample:
    name: str
    active: bool
    created_at: datetime
    closed_at: datetime | None
    note: str | None
    extra: int = 0


def _row(sql: str) -> sqlite3.Row:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    row: sqlite3.Row = connection.execute(sql).fetchone()
    return row


def test_times_are_read_from_utc_text_and_booleans_from_integers() -> None:
    row = _row(
        "SELECT 'a' AS name, 1 AS active, '2026-03-03T11:30:00+00:00' AS created_at, "
        "NULL AS closed_at, NULL AS note, 7 AS extra"
    )
    record = from_row(Sample, row)
    assert record == Sample("a", True, datetime(2026, 3, 3, 11, 30, tzinfo=UTC), None, None, 7)
    assert record.active is True  # not the integer 1


def test_a_given_value_replaces_the_column_and_may_be_no_column_at_all() -> None:
    row = _row(
        "SELECT 'a' AS name, 0 AS active, '2026-03-03T11:30:00+00:00' AS created_at, "
        "'2026-03-04T08:00:00+00:00' AS closed_at, 'n' AS note"
    )
    record = from_row(Sample, row, note="given", extra=3)
    assert (record.active, record.note, record.extra) == (False, "given", 3)
    assert record.closed_at == datetime(2026, 3, 4, 8, tzinfo=UTC)


def test_a_missing_column_is_an_error_not_a_silent_default() -> None:
    row = _row("SELECT 'a' AS name, 1 AS active, '2026-03-03T11:30:00+00:00' AS created_at")
    with pytest.raises(IndexError):
        from_row(Sample, row)
