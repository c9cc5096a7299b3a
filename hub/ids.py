"""Integers that come from outside (a URL, a signed link, a provider's webhook), read once.

`int()` is too lenient for them: it takes "²"-like digits of other scripts (`str.isdigit()` says
yes to "²", then `int("²")` fails), signs, spaces and underscores, and any size, while SQLite
stores at most a signed 64-bit integer and raises `OverflowError` past it. One parser, used by
every channel, turns all of these into "not an id" rather than a crash deep in a query.
"""

from __future__ import annotations

import re

SQLITE_MAX_INTEGER = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value: object) -> int | None:
    """`value` as a non-negative integer SQLite can hold, or None.

    Accepts an int (not a bool) or a text of ASCII digits only; anything else is None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 0 <= number <= SQLITE_MAX_INTEGER else None
