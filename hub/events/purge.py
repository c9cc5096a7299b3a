"""The erasure of the registrations of events long over: only anonymous counts are kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from hub.events.base import EventsBase
from hub.events.model import Event
from hub.events.rules import utc_now
from hub.timeutil import add_months, to_utc_text


@dataclass(frozen=True)
class PurgeReport:
    events: int  # events whose registrations were erased
    registrations: int
    people: int  # people erased because the hub held nothing else about them


class Purging(EventsBase):
    """The erasure of old events' registrations."""

    async def purgeable(self, *, now: datetime | None = None) -> list[Event]:
        """The events whose registrations `purge` erases: ended more than `purge_after_months`
        ago, not yet purged."""
        before = add_months(now or utc_now(), -self.config.events.purge_after_months)
        rows = await self.db.fetch_all("events_to_purge", {"before": to_utc_text(before)})
        return [Event.from_row(row) for row in rows]

    async def purge(self, *, now: datetime | None = None) -> PurgeReport:
        """Erase the registrations of the `purgeable` events, keeping anonymous counts; people
        stored only for them go too."""
        now = now or utc_now()
        events = registrations = people = 0
        async with self.db.transaction():
            for event in await self.purgeable(now=now):
                counts = await self.counts(event)
                deleted = await self.db.fetch_all("event_purge_registrations", {"id": event.id})
                await self.db.execute(
                    "event_purge",
                    {"id": event.id, "counts": json.dumps(counts), "now": to_utc_text(now)},
                )
                ids = sorted({r["subscriber_id"] for r in deleted})
                orphans = await self.db.fetch_all(
                    "people_without_anything", {"ids": json.dumps(ids)}
                )
                for orphan in orphans:
                    await self.db.execute("subscriber_delete", {"id": orphan["id"]})
                events += 1
                registrations += len(deleted)
                people += len(orphans)
        return PurgeReport(events, registrations, people)
