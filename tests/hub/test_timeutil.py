"""Calendar arithmetic in local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.timeutil import (
    DateInputError,
    add_months,
    example_datetime,
    parse_date,
    parse_local_datetime,
)

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


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-31", "le 31 février 2026 n'existe pas (février 2026 a 28 jours)"),
        ("2028-02-30 10:00", "le 30 février 2028 n'existe pas (février 2028 a 29 jours)"),
        ("2026-13-01 09:00", "il n'y a pas de mois 13 (mois de 01 à 12)"),
        ("2026-04-30 24:00", "24:00 n'est pas une heure (de 00:00 à 23:59)"),
    ],
)
def test_an_impossible_date_is_said_to_not_exist(text: str, reason: str) -> None:
    with pytest.raises(DateInputError) as caught:
        parse_local_datetime(text, PARIS, "--start")
    assert str(caught.value) == f"--start : {reason}"
    if len(text) == 10:
        with pytest.raises(DateInputError) as caught:
            parse_date(text, "--since")
        assert str(caught.value) == f"--since : {reason}"


def test_a_wrong_format_still_shows_the_format() -> None:
    with pytest.raises(DateInputError, match="format attendu 'AAAA-MM-JJ HH:MM'"):
        parse_local_datetime("31/02/2026", PARIS, "--start")


@pytest.mark.parametrize(
    "text", ["9999-01-01 10:00", "1999-12-31", "2101-01-01 00:00", "0226-05-01"]
)
def test_a_year_outside_2000_to_2100_is_refused(text: str) -> None:
    year = int(text[:4])
    with pytest.raises(DateInputError, match=f"--at : l'année {year} est hors limites"):
        parse_local_datetime(text, PARIS, "--at")
    with pytest.raises(DateInputError, match="entre 2000 et 2100"):
        parse_date(text[:10], "--since")


def test_the_years_2000_and_2100_are_accepted() -> None:
    assert parse_local_datetime("2000-01-01 00:00", PARIS).year == 2000
    assert parse_date("2100-12-31").year == 2100


def test_the_example_of_a_time_to_come_is_tomorrow_at_nine_in_paris() -> None:
    late_evening = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # already the 6th in Paris
    assert example_datetime(PARIS, late_evening) == "2026-12-07 09:00"
