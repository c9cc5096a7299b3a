"""Times are stored in UTC and shown and typed in the hub's time zone (Europe/Paris)."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from hub.errors import UserError

DATE_EXAMPLE = "2026-12-01"
DATETIME_EXAMPLE = "2026-12-01 09:00"
# The years a date typed by a person may have: beyond, it is a typo (20226, 0226), and an event
# in year 9999 would break every calendar feed that lists it.
YEAR_MIN, YEAR_MAX = 2000, 2100

_DATE_SHAPE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME_SHAPE = re.compile(r"(\d{1,2}):(\d{1,2})(?::\d{1,2})?")


class DateInputError(UserError, ValueError):
    """A date typed by a person that cannot be read; the message shows the expected format."""


def example_datetime(tz: tzinfo | None, now: datetime | None = None) -> str:
    """A moment to come, as typed: tomorrow at 9:00 in `tz` (a fixed example goes stale)."""
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    return f"{today + timedelta(days=1):%Y-%m-%d} 09:00"


def check_year(value: date, what: str) -> None:
    """Refuse a date outside YEAR_MIN–YEAR_MAX; `what` names it ("la date de début")."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise DateInputError(
            f"{what} : l'année {value.year} est hors limites ; "
            f"une date entre {YEAR_MIN} et {YEAR_MAX} est attendue"
        )


def _impossible(text: str) -> str | None:
    """Why a date written in the right shape does not exist ("2026-02-31"), or None when the
    shape itself is wrong."""
    date_part, _, time_part = text.strip().replace("T", " ").partition(" ")
    shape = _DATE_SHAPE.fullmatch(date_part)
    if shape is None or (time_part and not _TIME_SHAPE.fullmatch(time_part.strip())):
        return None
    year, month, day = (int(g) for g in shape.groups())
    if not 1 <= month <= 12:
        return f"il n'y a pas de mois {month} (mois de 01 à 12)"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = _MONTHS[month - 1]
        return f"le {day} {name} {year} n'existe pas ({name} {year} a {days} jours)"
    if time_part:
        clock = _TIME_SHAPE.fullmatch(time_part.strip())
        assert clock is not None
        hour, minute = int(clock[1]), int(clock[2])
        if hour > 23 or minute > 59:
            return f"{hour:02d}:{minute:02d} n'est pas une heure (de 00:00 à 23:59)"
    return None


def parse_date(text: str, what: str = "date") -> date:
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        if reason := _impossible(text):
            raise DateInputError(f"{what} : {reason}") from None
        raise DateInputError(
            f"{what} : {text!r} n'est pas une date ; "
            f"format attendu AAAA-MM-JJ, par exemple {DATE_EXAMPLE}"
        ) from None
    check_year(value, what)
    return value


def parse_local_datetime(text: str, tz: ZoneInfo, what: str = "date") -> datetime:
    """Read 'YYYY-MM-DD HH:MM' (or a bare date, taken at midnight) as local time in `tz`."""
    raw = text.strip()
    try:
        value = (
            datetime.fromisoformat(raw)
            if len(raw) > 10
            else datetime.combine(date.fromisoformat(raw), time())
        )
    except ValueError:
        if reason := _impossible(raw):
            raise DateInputError(f"{what} : {reason}") from None
        raise DateInputError(
            f"{what} : {text!r} n'est pas une date et heure ; format attendu 'AAAA-MM-JJ HH:MM' "
            f'(heure de {tz.key}), par exemple "{example_datetime(tz)}"'
        ) from None
    check_year(value, what)
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def to_utc_text(value: datetime) -> str:
    """How an aware datetime is stored: ISO 8601 in UTC, to the second."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def optional_utc_text(value: datetime | None) -> str | None:
    return None if value is None else to_utc_text(value)


def utcnow() -> str:
    """The current instant as stored."""
    return to_utc_text(datetime.now(UTC))


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """Midnight of `day` in `tz`: what a date typed alone (--since 2026-10-01) means."""
    return datetime.combine(day, time(), tz)


def from_utc_text(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def french_date(value: date, weekday: bool = False) -> str:
    """'4 novembre 2026' (or 'mercredi 4 novembre 2026'), independent of the machine's locale."""
    day = "1er" if value.day == 1 else str(value.day)
    text = f"{day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{_WEEKDAYS[value.weekday()]} {text}" if weekday else text


def french_time(value: datetime) -> str:
    return f"{value.hour}h{value.minute:02d}" if value.minute else f"{value.hour}h"


def french_datetime(value: datetime, tz: ZoneInfo, weekday: bool = False) -> str:
    """'1er décembre 2026 à 9h' ('mardi 1er décembre 2026 à 9h' with `weekday`) in `tz`: how
    staff and people read an instant."""
    local = value.astimezone(tz)
    return f"{french_date(local.date(), weekday=weekday)} à {french_time(local)}"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (earlier if negative), clamped to the month's end
    (31 March, -1 → 28/29 February)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 + months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
