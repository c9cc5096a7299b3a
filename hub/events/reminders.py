"""Reminders before an event: queued when their moment comes, sent by `hub.events.mailer`.

Each event lists its reminders in minutes before the start (its kind's default: the day before
and an hour before). A reminder exists at most once per registration (`reminder:<minutes>`, a
unique index), so it is sent once even if the hub restarts around its moment. When the hub was
down through several moments, only the latest is sent and the earlier ones are recorded as
skipped: two reminders at once would say the same thing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.events.model import REMINDER_PREFIX, Event
from hub.timeutil import to_utc_text

SUPERSEDED = "un rappel plus proche du début l'a remplacé (le hub était arrêté à son heure)"


async def queue_due_reminders(db: Database, config: Config, *, now: datetime | None = None) -> int:
    """Queue the reminders whose moment has come for published events not started yet;
    returns how many are to be sent."""
    now = now or datetime.now(UTC)
    queued = 0
    async with db.transaction():
        for row in await db.fetch_all("events_reminders_due", {"now": to_utc_text(now)}):
            event = Event.from_row(row)
            start = event.starts_at
            offsets = set(event.reminders_minutes)
            due = sorted(m for m in offsets if start - timedelta(minutes=m) <= now)
            for minutes in due:
                moment = start - timedelta(minutes=minutes)
                rows = await db.fetch_all(
                    "event_reminder_insert",
                    {
                        "event_id": event.id,
                        "kind": f"{REMINDER_PREFIX}{minutes}",
                        "moment": to_utc_text(moment),
                        # due[0] is the latest moment, the one closest to the start
                        "skip_reason": None if minutes == due[0] else SUPERSEDED,
                        "now": to_utc_text(now),
                    },
                )
                queued += sum(1 for r in rows if r["status"] == "pending")
    return queued


async def queue_reminder_now(db: Database, event_id: int) -> int:
    """A reminder to every confirmed registrant, now (`hub events remind`); returns how many."""
    now = datetime.now(UTC)
    async with db.transaction():
        row = await db.fetch_one("event_by_id", {"id": event_id})
        if row is None:
            raise UserError(f"événement inconnu (n° {event_id})")
        event = Event.from_row(row)
        if event.status != "published":
            state = "annulé" if event.status == "cancelled" else "pas encore publié"
            raise UserError(f"« {event.title} » est {state} : aucun rappel envoyé")
        if event.ends_at <= now:
            raise UserError(f"« {event.title} » est terminé : aucun rappel envoyé")
        rows = await db.fetch_all(
            "event_reminder_now", {"event_id": event.id, "now": to_utc_text(now)}
        )
    return len(rows)
