"""Times are stored in UTC and shown and typed in the hub's time zone (Europe/Paris)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from hub.errors import UserError

DATE_EXAMPLE = "2026-12-01"
DATETIME_EXAMPLE = "2026-12-01 09:00"


class DateInputError(UserError, ValueError):
    """A date typed by a person that cannot be read; the message shows the expected format."""


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DateInputError(
            f"{what} : {text!r} n'est pas une date ; "
            f"format attendu AAAA-MM-JJ, par exemple {DATE_EXAMPLE}"
        ) from None


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
        raise DateInputError(
            f"{what} : {text!r} n'est pas une date et heure ; format attendu 'AAAA-MM-JJ HH:MM' "
            f'(heure de {tz.key}), par exemple "{DATETIME_EXAMPLE}"'
        ) from None
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
