"""What the model decides by itself, that every channel used to work out again: seats left,
whether a registration may still be cancelled, whether an offer may still be taken."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hub.events.model import Event, Registration

NOW = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def event(**fields: object) -> Event:
    given: dict[str, object] = {
        "id": 1,
        "slug": "reunion",
        "title": "Réunion",
        "kind": "reunion-flash",
        "description": "",
        "starts_at": NOW + timedelta(days=1),
        "ends_at": NOW + timedelta(days=1, hours=2),
        "mode": "online",
        "video_url": "",
        "venue": "",
        "address": "",
        "audience": "public",
        "capacity": 3,
        "waitlist": "offer",
        "offer_hours": 24,
        "opens_at": None,
        "closes_at": None,
        "questions": [],
        "reminders_minutes": [],
        "status": "published",
        "ics_uid": "uid@fcpts.org",
        "ics_sequence": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Event(**(given | fields))  # type: ignore[arg-type]


def offered(expires: datetime | None = NOW + timedelta(hours=1)) -> Registration:
    return Registration(
        id=7,
        event_id=1,
        subscriber_id=3,
        status="offered",
        source="web",
        answers={},
        waitlisted_at=NOW,
        offer_expires_at=expires,
        confirmed_at=None,
        cancelled_at=None,
        created_at=NOW,
    )


def test_seats_left_count_the_confirmed_and_the_offered_only() -> None:
    counts = {"confirmed": 1, "offered": 1, "waitlisted": 4, "cancelled": 9}
    assert event().seats_left(counts) == 1
    assert event().seats_left({}) == 3
    assert event(capacity=2).seats_left(counts) == 0
    assert event(capacity=1).seats_left(counts) == 0  # fewer seats after an edit: never below 0
    assert event(capacity=None).seats_left(counts) is None


def test_registrations_may_be_cancelled_until_a_published_event_ends() -> None:
    assert event().can_cancel(NOW)
    assert event(starts_at=NOW - timedelta(hours=1)).can_cancel(NOW)  # under way
    assert not event(ends_at=NOW).can_cancel(NOW)
    assert not event(status="cancelled").can_cancel(NOW)
    assert not event(status="draft").can_cancel(NOW)


def test_an_offer_is_open_until_its_deadline_on_an_event_still_on() -> None:
    assert offered().offer_open(event(), NOW)
    assert not offered(NOW).offer_open(event(), NOW)
    assert not offered(None).offer_open(event(), NOW)
    assert not offered().offer_open(event(status="cancelled"), NOW)
    assert not replace(offered(), status="confirmed").offer_open(event(), NOW)
    assert not replace(offered(), status="waitlisted").offer_open(event(), NOW)
