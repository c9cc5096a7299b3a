"""Fixtures of the events tests: the events service on a real SQLite file, and events to
register for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.config import Config
from hub.db import Database
from hub.events.model import Event
from hub.events.service import Events, NewEvent

MakeEvent = Callable[..., Awaitable[Event]]


@pytest.fixture
def events(db: Database, config: Config, monkeypatch: pytest.MonkeyPatch) -> Events:
    return Events(db, config)


@pytest.fixture
def make_event(events: Events) -> MakeEvent:
    """Create a published event starting in `in_days` days (any NewEvent field may be given)."""

    async def make(in_days: float = 10, hours: float = 2, **fields: Any) -> Event:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=in_days)
        given: dict[str, Any] = {
            "title": "Réunion flash : le Ségur du numérique",
            "kind": "reunion-flash",
            "starts_at": start,
            "ends_at": start + timedelta(hours=hours),
            "publish": True,
            **fields,
        }
        return await events.create(NewEvent(**given))

    return make
