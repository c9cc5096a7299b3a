"""Calendar arithmetic in local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.timeutil import add_months

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ((2026, 3, 31), -1, (2026, 2, 28)),
        ((2028, 3, 31), -1, (2028, 2, 29)),
        ((2026, 1, 15), -2, (2025, 11, 15)),
        ((2026, 12, 31), 2, (2027, 2, 28)),
        ((2026, 11, 5), -12, (2025, 11, 5)),
        ((2026, 6, 30), 0, (2026, 6, 30)),
    ],
)
def test_add_months_keeps_the_day_or_the_end_of_a_shorter_month(
    start: tuple[int, int, int], months: int, expected: tuple[int, int, int]
) -> None:
    moment = datetime(*start, 9, 30, tzinfo=PARIS)
    assert add_months(moment, months) == datetime(*expected, 9, 30, tzinfo=PARIS)
