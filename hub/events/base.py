"""The core the parts of the events service share (see `hub.events.service`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hub.config import Config
from hub.db import Database
from hub.events.model import (
    Event,
    EventNotFound,
    Registration,
    RegistrationNotFound,
    RegistrationStatus,
)
from hub.ids import parse_id
from hub.subscribers.service import Subscribers
from hub.timeutil import optional_utc_text, to_utc_text


def _nothing_to_wake() -> None:
    """The default `mail_queued`: no worker to wake (a CLI command delivers by itself)."""


class EventsBase:
    """What every part of the `Events` service shares: its collaborators, finding events and
    registrations, and the writes that queue e-mails (inside the caller's transaction)."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        people: Subscribers | None = None,
        mail_queued: Callable[[], None] = _nothing_to_wake,
        seat_lock: bool = True,
    ) -> None:
        self.db = db
        self.config = config
        self.people = people if people is not None else Subscribers(db, config)
        # Called after every commit that queued e-mails (`hub run` wakes its mail worker with
        # it), never after a refusal or a change that owes nobody an e-mail.
        self.mail_queued = mail_queued
        # Only the race test's control run turns this off, to show the race it prevents: the
        # seats are then counted before the write transaction, as a cached counter would be.
        self._seat_lock = seat_lock
        self._ids: dict[str, int] = {}

    async def get(self, ref: str | int) -> Event:
        """An event by id or slug; `EventNotFound` naming what was asked if there is none."""
        row = None
        event_id = parse_id(ref)  # ASCII digits within SQLite's range: "²" is a slug
        if event_id is not None:
            row = await self.db.fetch_one("event_by_id", {"id": event_id})
        if row is None:
            row = await self.db.fetch_one("event_by_slug", {"slug": str(ref)})
        if row is None:
            raise EventNotFound(ref)
        return Event.from_row(row)

    async def by_slug(self, slug: str) -> Event:
        """An event by its slug only, as public pages name events: ids are counted, and a
        visitor counting them would find events not meant for them."""
        row = await self.db.fetch_one("event_by_slug", {"slug": slug})
        if row is None:
            raise EventNotFound(slug)
        return Event.from_row(row)

    async def _event_id(self, ref: str | int) -> int:
        """The id of an event named by id or slug; both never change, so they are cached."""
        key = str(ref)
        if key not in self._ids:
            self._ids[key] = (await self.get(ref)).id
        return self._ids[key]

    async def counts(self, event: Event) -> dict[str, int]:
        """Registrations by status (after a purge: the counts kept)."""
        if event.final_counts is not None:
            return dict(event.final_counts)
        rows = await self.db.fetch_all("event_counts", {"event_id": event.id})
        return {row["status"]: row["n"] for row in rows}

    async def _seats_taken(self, event_id: int) -> int:
        row = await self.db.fetch_one("event_seats_taken", {"event_id": event_id})
        return row["taken"] if row else 0

    async def _set_registration(
        self,
        registration_id: int,
        status: RegistrationStatus,
        now: datetime,
        *,
        offer_expires_at: datetime | None = None,
    ) -> Any:
        return await self.db.fetch_one(
            "registration_set_status",
            {
                "id": registration_id,
                "status": status,
                "offer_expires_at": optional_utc_text(offer_expires_at),
                "now": to_utc_text(now),
            },
        )

    async def _queue(self, registration_id: int, kind: str, now: datetime) -> None:
        await self.db.execute(
            "event_message_insert",
            {"registration_id": registration_id, "kind": kind, "now": to_utc_text(now)},
        )

    async def _tell(self, event: Event, statuses: Sequence[str], kind: str, now: datetime) -> int:
        """Queue an e-mail of `kind` to every registration in `statuses`; how many."""
        rows = await self.db.fetch_all(
            "registrations_with_status",
            {"event_id": event.id, "statuses": json.dumps(list(statuses))},
        )
        await self.db.execute(
            "event_message_insert_many",
            {
                "registration_ids": json.dumps([row["id"] for row in rows]),
                "kind": kind,
                "now": to_utc_text(now),
            },
        )
        return len(rows)

    async def _registration_row(self, registration_id: int) -> Any:
        row = await self.db.fetch_one("registration_by_id", {"id": registration_id})
        if row is None:
            raise RegistrationNotFound(registration_id)
        return row

    async def _with_position(self, row: Any) -> Registration:
        position = None
        if row["status"] == "waitlisted":
            found = await self.db.fetch_one(
                "registration_position",
                {"event_id": row["event_id"], "queue_number": row["queue_number"]},
            )
            position = found["position"] if found else None
        return Registration.from_row(row, position)
