"""Ids from outside: ASCII digits within SQLite's integer, nothing else."""

from __future__ import annotations

import pytest

from hub.ids import SQLITE_MAX_INTEGER, parse_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        (42, 42),
        (str(SQLITE_MAX_INTEGER), SQLITE_MAX_INTEGER),
        (SQLITE_MAX_INTEGER, SQLITE_MAX_INTEGER),
    ],
)
def test_ascii_digits_within_sqlites_range_are_ids(value: object, expected: int) -> None:
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() says yes, int() says no
        "٣",  # int() would read 3
        "１２",  # full-width digits
        str(SQLITE_MAX_INTEGER + 1),
        SQLITE_MAX_INTEGER + 1,
        "9" * 5000,  # past int()'s limit on digits
        "-1",
        -1,
        "+1",
        " 1",
        "1\n",
        "1_000",
        "",
        True,
        1.0,
        None,
        ["1"],
    ],
)
def test_anything_else_is_not_an_id(value: object) -> None:
    assert parse_id(value) is None
