"""A withdrawn membership through the events service the process shares (given to the
subscribers service, not built by it), and the mail worker told after the commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.config import Config
from hub.db import Database
from hub.events.service import Events, NewEvent
from hub.subscribers.service import Person, Subscribers

MEMBER = Person("adherente@exemple.fr", "Anne", "Adhérente", "CPTS Est", "salarie", True)


async def test_a_withdrawn_membership_cancels_through_the_given_events_service(
    db: Database, config: Config
) -> None:
    woken: list[str] = []
    asked: list[str] = []

    def registrations() -> Events:
        asked.append("events")
        return events

    subscribers = Subscribers(
        db, config, registrations=registrations, mail_queued=lambda: woken.append("mail")
    )
    events = Events(db, config)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    event = await events.create(
        NewEvent(
            title="Réunion des adhérents",
            kind="reunion-flash",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            publish=True,
            audience="members",
        )
    )
    await events.register(event.id, MEMBER, source="cli")

    granted = await subscribers.set_member(MEMBER.email, True, "cli")  # already a member
    assert granted is not None and not granted.changed
    assert (asked, woken) == (["events"], [])

    change = await subscribers.set_member(MEMBER.email, False, "cli", "fin")

    assert change is not None and change.cancelled == ["Réunion des adhérents"]
    assert (asked, woken) == (["events"] * 2, ["mail"])
    async with db.conn.execute("SELECT kind FROM event_messages ORDER BY id") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == ["confirmed", "ineligible"]
