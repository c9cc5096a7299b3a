"""What the events service says it did (who got a freed seat, who was told of a change), and
the mail worker's wake-up it calls after each commit that queued e-mails."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from hub.config import Config
from hub.db import Database
from hub.events.audience import Viewer
from hub.events.model import Event, EventChanges, NotEligible, Refused
from hub.events.service import Events
from hub.subscribers.service import Subscribers
from tests.events.conftest import MakeEvent
from tests.events.test_service import person


class Wakeups:
    """A `mail_queued` that records, at each call, how many e-mails another connection sees:
    only committed rows are seen there."""

    def __init__(self, config: Config) -> None:
        self.path = config.database_path
        self.seen: list[int] = []

    def __call__(self) -> None:
        with sqlite3.connect(self.path) as other:
            (count,) = other.execute("SELECT count(*) FROM event_messages").fetchone()
        self.seen.append(count)


@pytest.fixture
def wakeups(config: Config) -> Wakeups:
    return Wakeups(config)


@pytest.fixture
def woken(db: Database, config: Config, wakeups: Wakeups, events: Events) -> Events:
    """The service as `hub run` builds it, with its wake-up (`events` set the secret key)."""
    return Events(db, config, people=events.people, mail_queued=wakeups)


async def test_a_cancellation_says_whom_the_seat_went_to(
    woken: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, waitlist="auto")
    for n in (1, 2, 3):
        await woken.register(event.id, person(n), source="web")
    cancelled = await woken.unregister(event.slug, person(1).email)
    assert cancelled.changed and cancelled.was == "confirmed"
    assert cancelled.registration.status == "cancelled"
    assert [(seat.email, seat.registration.status) for seat in cancelled.promoted] == [
        (person(2).email, "confirmed")
    ]
    assert cancelled.offered == ()

    again = await woken.unregister(event.slug, person(1).email)
    assert not again.changed and again.was == "cancelled" and again.promoted == ()
    waiting = await woken.unregister(event.slug, person(3).email)
    assert waiting.was == "waitlisted" and waiting.promoted == waiting.offered == ()


async def test_an_offered_seat_is_said_with_its_deadline(
    woken: Events, make_event: MakeEvent
) -> None:
    event = await make_event(
        kind="tour-de-france", venue="Rennes", capacity=1, offer_hours=24, questions=[]
    )
    first = await woken.register(event.id, person(1), source="web")
    await woken.register(event.id, person(2), source="web")
    cancelled = await woken.cancel_registration(first.registration.id)
    (seat,) = cancelled.offered
    assert seat.email == person(2).email and seat.registration.status == "offered"
    assert seat.registration.offer_expires_at is not None
    assert seat.registration.offer_expires_at > datetime.now(UTC) + timedelta(hours=23)
    assert cancelled.promoted == ()


async def test_an_edit_says_who_was_reinvited_and_who_got_the_new_seats(
    woken: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, waitlist="auto")
    for n in (1, 2, 3):
        await woken.register(event.id, person(n), source="web")
    retitled = await woken.edit(event.id, EventChanges(title="Réunion flash : le DMP"))
    assert retitled.event.title == "Réunion flash : le DMP"
    assert (retitled.invitation_changed, retitled.reinvited, retitled.promoted) == (False, 0, ())

    later = event.starts_at + timedelta(hours=1)
    moved = await woken.edit(
        event.id, EventChanges(starts_at=later, ends_at=later + timedelta(hours=2), capacity=2)
    )
    assert moved.invitation_changed and moved.reinvited == 1  # told before the new seat
    assert [seat.email for seat in moved.promoted] == [person(2).email]
    assert moved.event.ics_sequence == 1


async def test_mail_queued_is_called_after_the_commit_and_never_for_nothing(
    woken: Events, wakeups: Wakeups, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, waitlist="none", audience="members")
    first = await woken.register(event.id, person(1), source="web")
    assert wakeups.seen == [1]  # the confirmation was committed when the worker was woken

    with pytest.raises(Refused, match="complet"):
        await woken.register(event.id, person(2), source="web")
    with pytest.raises(NotEligible):
        await woken.register(event.id, person(3, member=False), source="web")
    await woken.register(event.id, person(1), source="web")  # registered already
    with pytest.raises(NotEligible):  # a typed address, for an event not public
        await woken.request(event.id, person(4), source="web")
    await woken.edit(event.id, EventChanges(title="Autre titre"))  # nobody to tell
    assert wakeups.seen == [1]

    await woken.cancel_registration(first.registration.id)
    await woken.cancel_registration(first.registration.id)  # already cancelled
    assert wakeups.seen == [1, 2]
    await woken.cancel(event.id)  # nobody registered any more: nothing queued
    assert wakeups.seen == [1, 2]


async def test_each_change_that_owes_mail_wakes_the_worker_once(
    woken: Events, wakeups: Wakeups, make_event: MakeEvent
) -> None:
    event = await make_event(
        kind="tour-de-france",
        venue="Rennes",
        capacity=1,
        offer_hours=1,
        questions=[],
        audience="public",
    )
    assert await woken.request(event.id, person(1), source="web")
    second = await woken.register(event.id, person(2), source="web")
    await woken.unregister(event.id, person(1).email)  # cancelled, and offered to the second
    assert wakeups.seen == [1, 2, 4]
    offer = await woken.accept_offer(second.registration.id)
    assert wakeups.seen == [1, 2, 4, 5]
    await woken.register(event.id, person(3), source="web")
    await woken.withdraw_person(offer.subscriber_id)  # the seat goes to the third, no mail to 2
    assert wakeups.seen == [1, 2, 4, 5, 6, 7]
    assert await woken.expire_offers(now=datetime.now(UTC) + timedelta(hours=2)) == 1
    assert wakeups.seen == [1, 2, 4, 5, 6, 7, 8]
    cancelled = await woken.cancel(event.id)
    assert wakeups.seen[-1] == 8  # everyone cancelled already: nobody to tell
    assert (cancelled.changed, cancelled.told, cancelled.event.status) == (True, 0, "cancelled")


async def test_cancelling_an_event_says_how_many_were_told(
    woken: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, waitlist="auto")
    for n in (1, 2, 3):
        await woken.register(event.id, person(n), source="web")
    await woken.unregister(event.id, person(3).email)
    cancelled = await woken.cancel(event.id)
    assert (cancelled.changed, cancelled.told, cancelled.event.status) == (True, 2, "cancelled")
    again = await woken.cancel(event.id)
    assert (again.changed, again.told) == (False, 0)


# Who sees which events


async def test_a_viewer_sees_the_events_of_their_record_or_of_their_channel(
    db: Database, config: Config, events: Events, make_event: MakeEvent
) -> None:
    public = await make_event(title="Café", audience="public", in_days=3)
    members = await make_event(title="Assemblée", audience="members", in_days=4)
    elus = await make_event(title="Collectif des élus", audience="elus", in_days=5)
    await make_event(title="Brouillon", audience="public", publish=False)
    await make_event(title="Passé", audience="public", in_days=-1)
    cancelled = await make_event(title="Annulé", audience="public", in_days=6)
    await events.cancel(cancelled.id)
    people = Subscribers(db, config)
    salariee = await people.save_person(person(1, "salarie", True))
    outsider = await people.save_person(person(2, "salarie", False))

    def titles(found: list[Event]) -> list[str]:
        return [event.title for event in found]

    assert titles(await events.visible_to(Viewer())) == [public.title]
    assert titles(await events.visible_to(Viewer(outsider))) == [public.title]
    assert titles(await events.visible_to(Viewer(salariee))) == [public.title, members.title]
    # A channel of elected members shows theirs to everyone in it, whoever asks.
    channel = Viewer(audiences=frozenset({"public", "elus"}))
    assert titles(await events.visible_to(channel)) == [public.title, elus.title]
    both = Viewer(salariee, audiences=frozenset({"public", "elus"}))
    assert titles(await events.visible_to(both)) == [public.title, members.title, elus.title]
    assert titles(await events.visible_to(Viewer(audiences=frozenset()))) == []
    # A place (a Discord server) never shows other audiences, even to someone who may join.
    salaries = frozenset({"public", "members", "salaries"})
    assert titles(await events.visible_to(Viewer.in_place(salaries))) == [
        public.title,
        members.title,
    ]
    assert titles(await events.visible_to(Viewer.in_place(salaries, outsider))) == [public.title]
    elus_server = frozenset({"public", "elus"})
    assert titles(await events.visible_to(Viewer.in_place(elus_server, salariee))) == [public.title]
