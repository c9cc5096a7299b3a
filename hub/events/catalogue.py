"""Events themselves: listed, created, changed (a new time or place tells the registrants),
published, cancelled."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, replace
from typing import Any
from urllib.parse import urlsplit

from hub.errors import UserError
from hub.events.audience import Viewer
from hub.events.model import SEATED, Event, EventChanges, EventStatus
from hub.events.outcomes import Edited, EventCancelled
from hub.events.rules import NewEvent, check_event, slugify, utc_now
from hub.events.seating import Seating
from hub.timeutil import optional_utc_text, to_utc_text

_INVITATION_FIELDS = ("starts_at", "ends_at", "mode", "video_url", "venue", "address")


class Catalogue(Seating):
    """Events themselves: found, listed, created, changed, published, cancelled."""

    async def list_events(
        self, *, status: EventStatus | None = None, upcoming: bool = False
    ) -> list[Event]:
        params = {"status": status, "from": to_utc_text(utc_now()) if upcoming else None}
        return [Event.from_row(row) for row in await self.db.fetch_all("event_list", params)]

    async def visible_to(self, viewer: Viewer) -> list[Event]:
        """The published events to come that `viewer` may see and join, by date: the agenda of
        a person, or of a channel showing its audiences."""
        return [
            event
            for event in await self.list_events(status="published", upcoming=True)
            if viewer.may_see(event.audience)
        ]

    async def create(self, new: NewEvent) -> Event:
        kind = self.config.event_kind(new.kind)
        capacity = kind.capacity if new.capacity is None else new.capacity
        now = utc_now()
        event = Event(
            id=0,
            slug="",
            title=new.title.strip(),
            kind=new.kind,
            description=(kind.description if new.description is None else new.description),
            starts_at=new.starts_at,
            ends_at=new.ends_at,
            mode=new.mode or kind.mode,
            video_url=new.video_url.strip(),
            venue=new.venue.strip(),
            address=new.address.strip(),
            audience=new.audience or kind.audience,
            capacity=capacity or None,
            waitlist=new.waitlist or kind.waitlist,
            offer_hours=new.offer_hours or kind.offer_hours,
            opens_at=new.opens_at,
            closes_at=new.closes_at,
            questions=list(kind.questions if new.questions is None else new.questions),
            reminders_minutes=list(
                kind.reminders_minutes if new.reminders_minutes is None else new.reminders_minutes
            ),
            status="published" if new.publish else "draft",
            ics_uid=f"{uuid.uuid4()}@{self._uid_domain()}",
            ics_sequence=0,
            created_at=now,
            updated_at=now,
        )
        check_event(event, self.config.tz)
        async with self.db.transaction():
            slug = await self._free_slug(
                new.slug
                or slugify(f"{event.title} {event.starts_at.astimezone(self.config.tz):%Y-%m-%d}")
            )
            row = await self.db.fetch_one(
                "event_insert",
                {
                    **self._columns(event),
                    "slug": slug,
                    "status": event.status,
                    "ics_uid": event.ics_uid,
                    "now": to_utc_text(now),
                },
            )
        assert row is not None
        return Event.from_row(row)

    async def edit(self, ref: str | int, changes: EventChanges) -> Edited:
        """Change an event. A new time or place raises the invitation's SEQUENCE and tells every
        registrant with a seat; more seats go to the waiting list at once."""
        async with self.db.transaction():
            before = await self.get(ref)
            given = {k: v for k, v in asdict(changes).items() if v is not None}
            if "questions" in given:
                given["questions"] = changes.questions
            if "capacity" in given:
                given["capacity"] = given["capacity"] or None
            after = replace(before, **given)
            check_event(after, self.config.tz)
            moved = any(getattr(before, f) != getattr(after, f) for f in _INVITATION_FIELDS)
            if moved:
                after = replace(after, ics_sequence=before.ics_sequence + 1)
            now = utc_now()
            row = await self.db.fetch_one(
                "event_update",
                {
                    **self._columns(after),
                    "id": before.id,
                    "ics_sequence": after.ics_sequence,
                    "now": to_utc_text(now),
                },
            )
            assert row is not None
            event = Event.from_row(row)
            reinvited = 0
            if moved and event.status != "cancelled":
                reinvited = await self._tell(event, SEATED, "updated", now)
            if before.starts_at != event.starts_at:
                await self.db.execute("event_reminders_reset", {"event_id": event.id})
            seats = await self._fill_seats(event, now)
        if reinvited or seats.promoted or seats.offered:
            self.mail_queued()
        return Edited(
            event,
            invitation_changed=moved and event.status != "cancelled",
            reinvited=reinvited,
            promoted=seats.promoted,
            offered=seats.offered,
        )

    async def publish(self, ref: str | int) -> Event:
        async with self.db.transaction():
            event = await self.get(ref)
            if event.status == "cancelled":
                raise UserError(f"« {event.title} » est annulé : il ne peut plus être publié")
            return await self._set_status(event, "published", bump=False)

    async def cancel(self, ref: str | int) -> EventCancelled:
        """Cancel the whole event; everyone registered (seat or waiting list) is told."""
        async with self.db.transaction():
            event = await self.get(ref)
            if event.status == "cancelled":
                return EventCancelled(event, told=0, changed=False)
            event = await self._set_status(event, "cancelled", bump=True)
            told = await self._tell(event, (*SEATED, "waitlisted"), "event_cancelled", utc_now())
        if told:
            self.mail_queued()
        return EventCancelled(event, told)

    async def _set_status(self, event: Event, status: EventStatus, *, bump: bool) -> Event:
        row = await self.db.fetch_one(
            "event_set_status",
            {"id": event.id, "status": status, "bump": int(bump), "now": to_utc_text(utc_now())},
        )
        assert row is not None
        return Event.from_row(row)

    async def _free_slug(self, base: str) -> str:
        slug, n = base, 1
        while await self.db.fetch_one("event_slug_taken", {"slug": slug}):
            n += 1
            slug = f"{base}-{n}"
        return slug

    def _columns(self, event: Event) -> dict[str, Any]:
        return {
            "title": event.title,
            "kind": event.kind,
            "description": event.description,
            "starts_at": to_utc_text(event.starts_at),
            "ends_at": to_utc_text(event.ends_at),
            "mode": event.mode,
            "video_url": event.video_url,
            "venue": event.venue,
            "address": event.address,
            "audience": event.audience,
            "capacity": event.capacity,
            "waitlist": event.waitlist,
            "offer_hours": event.offer_hours,
            "opens_at": optional_utc_text(event.opens_at),
            "closes_at": optional_utc_text(event.closes_at),
            "questions": json.dumps([asdict(q) for q in event.questions], ensure_ascii=False),
            "reminders": json.dumps(event.reminders_minutes),
        }

    def _uid_domain(self) -> str:
        return urlsplit(self.config.federation.website).hostname or "fcpts.org"
