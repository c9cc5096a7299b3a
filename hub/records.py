"""Frozen dataclasses read from SQLite rows, one rule for every domain.

A record's fields are named after the columns of the query that reads it; times are stored as
UTC text (`hub.timeutil.to_utc_text`) and booleans as 0/1. `from_row` reads a row into a
record by those names and types, so that each record says only what differs from the rule (a
JSON column, a value that is not a column) instead of repeating every column by hand.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from hub.timeutil import from_utc_text

T = TypeVar("T")


class Row(Protocol):
    """A row read by name (`sqlite3.Row`, `aiosqlite.Row`, a dict)."""

    def __getitem__(self, key: str, /) -> Any: ...


def stored_time(text: str) -> datetime:
    """A time read from a NOT NULL column."""
    value = from_utc_text(text)
    assert value is not None, "a NOT NULL time column held nothing"
    return value


def _identity(value: Any) -> Any:
    return value


def _reader(hint: Any) -> Callable[[Any], Any]:
    """How a column's value becomes a field of type `hint`."""
    if hint is datetime:
        return stored_time
    if hint is bool:
        return bool
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        arguments = set(typing.get_args(hint))
        if arguments == {datetime, type(None)}:
            return from_utc_text
    return _identity


_READERS: dict[type, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _readers(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Each field's name and reader, worked out once per record class."""
    readers = _READERS.get(cls)
    if readers is None:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        readers = _READERS[cls] = tuple((f.name, _reader(hints[f.name])) for f in fields)
    return readers


def from_row(cls: type[T], row: Row, **given: Any) -> T:
    """The record `cls` of `row`: each field not in `given` is the column of its name, times
    parsed from UTC text, booleans from 0/1, anything else as SQLite gives it."""
    values = {name: read(row[name]) for name, read in _readers(cls) if name not in given}
    return cls(**values, **given)
