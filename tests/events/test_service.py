"""The events service on a real SQLite file: events, eligibility, seats, waiting list, offers,
the e-mails each change queues, and the erasure of registrations after the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.config import Config, Question
from hub.db import Database
from hub.errors import UserError
from hub.events.model import (
    EventChanges,
    EventNotFound,
    InvalidEvent,
    NotEligible,
    NotRegistered,
    Refused,
    Suppressed,
)
from hub.events.service import Events, check_answers, slugify
from hub.subscribers.service import Consent, Person, Subscribers
from tests.events.conftest import MakeEvent

SALARIEE = Person(
    "claire.salariee@cpts-exemple.fr", "Claire", "Martin", "CPTS Exemple", "salarie", True
)


async def rows(db: Database, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with db.conn.execute(sql, params) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def messages(db: Database) -> list[tuple[str, str]]:
    """(address, kind) of every queued event e-mail, in order."""
    found = await rows(
        db,
        "SELECT s.email, m.kind FROM event_messages AS m "
        "JOIN registrations AS r ON r.id = m.registration_id "
        "JOIN subscribers AS s ON s.id = r.subscriber_id ORDER BY m.id",
    )
    return [(row["email"], row["kind"]) for row in found]


def person(n: int, role: str = "salarie", member: bool = True) -> Person:
    return Person(f"personne{n}@cpts-exemple.fr", f"Prénom{n}", "Nom", "CPTS Exemple", role, member)


# Events


async def test_an_event_takes_its_kinds_defaults(events: Events, make_event: MakeEvent) -> None:
    event = await make_event(kind="journees-nationales", venue="Palais 2 l'Atlantique")
    assert (event.mode, event.audience, event.capacity, event.waitlist) == (
        "in-person",
        "public",
        1200,
        "offer",
    )
    assert [q.key for q in event.questions] == ["profession", "structure", "jours", "regime"]
    assert event.reminders_minutes == [10080, 1440]
    assert event.status == "published" and event.ics_sequence == 0
    assert event.ics_uid.endswith("@www.fcpts.org")
    assert await events.get(event.slug) == await events.get(event.id) == event


async def test_an_event_may_override_its_kind(make_event: MakeEvent) -> None:
    event = await make_event(audience="elus", capacity=0, waitlist="none", reminders_minutes=[30])
    assert (event.audience, event.capacity, event.waitlist) == ("elus", None, "none")
    assert event.reminders_minutes == [30]


async def test_slugs_are_readable_and_unique(make_event: MakeEvent) -> None:
    first = await make_event(in_days=3)
    second = await make_event(in_days=3)
    assert first.slug.startswith("reunion-flash-le-segur-du-numerique-")
    assert second.slug == f"{first.slug}-2"
    assert slugify("Rendez-vous de la com' : « vidéo » !") == "rendez-vous-de-la-com-video"
    long = "Webinaire des partenaires : les Observatoires régionaux de santé 2026-12-13"
    assert slugify(long) == "webinaire-des-partenaires-les-observatoires-regionaux-de"
    assert slugify("«»") == "evenement"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hours": -1}, "doit venir après le début"),
        ({"kind": "tour-de-france"}, "demande un lieu"),
        ({"kind": "inconnu"}, "type d'événement inconnu 'inconnu'"),
        ({"mode": "hybride"}, "mode inconnu"),
        ({"audience": "tous"}, "public inconnu"),
        ({"title": "  "}, "titre"),
        (
            {"starts_at": datetime(9999, 1, 1, 9, tzinfo=UTC)},
            "la date de début : l'année 9999 est hors limites",
        ),
        (
            {"closes_at": datetime(1999, 12, 31, 9, tzinfo=UTC)},
            "la clôture des inscriptions : l'année 1999",
        ),
    ],
)
async def test_a_bad_event_is_refused_with_the_reason(
    events: Events, make_event: MakeEvent, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        await make_event(**fields)
    assert await events.list_events() == []


async def test_an_edit_to_a_year_beyond_2100_is_refused(
    events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    far = datetime(9999, 12, 31, 22, tzinfo=UTC)
    with pytest.raises(UserError, match="la date de fin : l'année 9999 est hors limites"):
        await events.edit(event.id, EventChanges(ends_at=far))
    assert (await events.get(event.id)).ends_at == event.ends_at


async def test_list_leaves_out_past_events_when_asked(
    events: Events, make_event: MakeEvent
) -> None:
    past = await make_event(in_days=-5)
    soon = await make_event(in_days=2)
    later = await make_event(in_days=20, publish=False)
    assert [e.id for e in await events.list_events()] == [past.id, soon.id, later.id]
    assert [e.id for e in await events.list_events(upcoming=True)] == [soon.id, later.id]
    assert [e.id for e in await events.list_events(status="draft")] == [later.id]


# Registering


async def test_a_new_person_is_registered_without_being_subscribed(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    registered = await events.register(event.slug, SALARIEE, source="cli")
    assert registered.created and registered.registration.status == "confirmed"
    stored = await rows(db, "SELECT email, first_name, role, member FROM subscribers")
    assert stored == [
        {"email": SALARIEE.email, "first_name": "Claire", "role": "salarie", "member": 1}
    ]
    assert await rows(db, "SELECT * FROM subscriptions") == []
    assert await messages(db) == [(SALARIEE.email, "confirmed")]


async def test_registering_twice_returns_the_same_registration(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    first = await events.register(event.id, SALARIEE, source="web")
    again = await events.register(event.slug, SALARIEE, source="cli")
    assert not again.created
    assert again.registration == first.registration
    assert len(await rows(db, "SELECT id FROM registrations")) == 1
    assert len(await messages(db)) == 1


AUDIENCE_CASES = [
    ("public", person(1, "autre", False), None),
    ("members", person(2, "partenaire", True), person(3, "salarie", False)),
    ("salaries", person(4, "coordinateur", True), person(5, "elu", True)),
    ("elus", person(6, "elu", True), person(7, "salarie", True)),
    ("salaries+elus", person(8, "elu", True), person(9, "partenaire", True)),
    ("coordinateurs", person(10, "coordinateur", True), person(11, "coordinateur", False)),
]


@pytest.mark.parametrize(("audience", "eligible", "ineligible"), AUDIENCE_CASES)
async def test_the_audience_decides_and_a_refusal_stores_nothing(
    db: Database,
    events: Events,
    make_event: MakeEvent,
    audience: str,
    eligible: Person,
    ineligible: Person | None,
) -> None:
    event = await make_event(audience=audience)
    assert (await events.register(event.id, eligible, source="web")).registration.status == (
        "confirmed"
    )
    if ineligible is not None:
        with pytest.raises(NotEligible, match="réservé"):
            await events.register(event.id, ineligible, source="web")
        stored = await rows(db, "SELECT email FROM subscribers")
        assert stored == [{"email": eligible.email}]
        assert len(await rows(db, "SELECT id FROM registrations")) == 1


async def test_a_known_person_keeps_their_record_which_decides(
    db: Database, config: Config, events: Events, make_event: MakeEvent
) -> None:
    people = Subscribers(db, config)
    await people.subscribe(
        Person("elu@cpts-exemple.fr", "Jean", "Élu", "CPTS Exemple", "elu", True),
        ["bimestrielle"],
        Consent("cli", "Ajout par l'équipe.", "2026-12"),
        confirmed=True,
    )
    event = await make_event(audience="salaries")
    claimed = Person("elu@cpts-exemple.fr", "Autre", "Nom", "Ailleurs", "salarie", True)
    with pytest.raises(NotEligible):
        await events.register(event.id, claimed, source="web")
    elus = await make_event(audience="elus")
    await events.register(elus.id, claimed, source="web")
    stored = await people.find("elu@cpts-exemple.fr")
    assert stored is not None and (stored.first_name, stored.role) == ("Jean", "elu")


async def test_answers_are_checked_against_the_questions(
    events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(kind="journees-nationales", venue="Palais 2 l'Atlantique")
    answers = {"profession": "Infirmière", "structure": "CPTS du Bassin", "jours": "Le second jour"}
    with pytest.raises(UserError, match="réponse manquante à la question « Votre profession »"):
        await events.register(event.id, SALARIEE, source="web", answers={})
    with pytest.raises(UserError, match="choix possibles : Les deux jours"):
        await events.register(event.id, SALARIEE, source="web", answers={**answers, "jours": "3"})
    registered = await events.register(
        event.id, SALARIEE, source="web", answers={**answers, "ignored": "x", "regime": " "}
    )
    assert registered.registration.answers == answers
    changed = await events.set_answers(registered.registration.id, {**answers, "regime": "Vegan"})
    assert changed.answers["regime"] == "Vegan"


def test_check_answers_keeps_only_the_questions_of_the_event() -> None:
    question = Question("cpts", "Votre CPTS", required=True)
    event = type("E", (), {"questions": [question]})()
    assert check_answers(event, {"cpts": " CPTS Sud ", "other": "x"}) == {"cpts": "CPTS Sud"}  # type: ignore[arg-type]


async def test_the_registration_window_binds_everyone_but_staff(
    events: Events, make_event: MakeEvent
) -> None:
    now = datetime.now(UTC)
    later = await make_event(opens_at=now + timedelta(days=1))
    with pytest.raises(Refused, match="ouvrent le"):
        await events.register(later.id, person(1), source="web")
    closed = await make_event(closes_at=now - timedelta(hours=1), opens_at=now - timedelta(days=2))
    with pytest.raises(Refused, match="sont closes depuis le"):
        await events.register(closed.id, person(1), source="web")
    staff = await events.register(closed.id, person(1), source="cli", staff=True)
    assert staff.registration.status == "confirmed"


async def test_drafts_cancelled_and_past_events_take_nobody(
    events: Events, make_event: MakeEvent
) -> None:
    draft = await make_event(publish=False)
    with pytest.raises(Refused, match="pas encore publié"):
        await events.register(draft.id, person(1), source="cli", staff=True)
    past = await make_event(in_days=-1)
    with pytest.raises(Refused, match="terminé"):
        await events.register(past.id, person(1), source="cli", staff=True)
    cancelled = (await events.cancel((await make_event()).id)).event
    with pytest.raises(Refused, match="annulé"):
        await events.register(cancelled.id, person(1), source="web")


# Seats and the waiting list


async def test_the_waiting_list_fills_in_order_once_seats_are_gone(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=2)
    results = [await events.register(event.id, person(n), source="web") for n in range(5)]
    assert [(r.registration.status, r.registration.position) for r in results] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
    ]
    assert [kind for _, kind in await messages(db)] == ["confirmed"] * 2 + ["waitlisted"] * 3
    listed = await events.registrations(event.id)
    assert [(r.email, r.status, r.position) for r in listed][2:] == [
        (person(2).email, "waitlisted", 1),
        (person(3).email, "waitlisted", 2),
        (person(4).email, "waitlisted", 3),
    ]


async def test_full_without_waiting_list_is_refused(events: Events, make_event: MakeEvent) -> None:
    event = await make_event(capacity=1, waitlist="none")
    await events.register(event.id, person(1), source="web")
    with pytest.raises(Refused, match="complet"):
        await events.register(event.id, person(2), source="web")


async def test_a_freed_seat_of_an_online_event_goes_to_the_next_at_once(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1)
    first = await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")
    third = await events.register(event.id, person(3), source="web")
    await events.unregister(event.slug, person(1).email)
    promoted = await events.registrations(event.id)
    assert [(r.email, r.status, r.position) for r in promoted] == [
        (person(2).email, "confirmed", None),
        (person(3).email, "waitlisted", 1),
        (person(1).email, "cancelled", None),
    ]
    assert (await messages(db))[-2:] == [
        (person(1).email, "cancelled"),
        (person(2).email, "promoted"),
    ]
    assert (await events.registration(third.registration.id)).position == 1
    # Coming back after cancelling takes the same row, at the end of the line.
    back = await events.register(event.id, person(1), source="web")
    assert back.created and back.registration.id == first.registration.id
    assert (back.registration.status, back.registration.position) == ("waitlisted", 2)


async def test_an_in_person_seat_is_offered_for_a_while_then_passed_on(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(
        kind="tour-de-france", venue="Rennes", capacity=1, offer_hours=24, questions=[]
    )
    await events.register(event.id, person(1), source="web")
    second = await events.register(event.id, person(2), source="web")
    third = await events.register(event.id, person(3), source="web")
    before = datetime.now(UTC)
    await events.unregister(event.id, person(1).email)
    offered = await events.registration(second.registration.id)
    assert offered.status == "offered"
    assert offered.offer_expires_at is not None
    assert timedelta(hours=23) < offered.offer_expires_at - before <= timedelta(hours=24, seconds=2)
    # The held seat counts: nobody else gets it meanwhile.
    late = await events.register(event.id, person(4), source="web")
    assert (late.registration.status, late.registration.position) == ("waitlisted", 2)
    # Not taken in time: the offer lapses, the next in line gets one.
    assert await events.expire_offers(now=before + timedelta(hours=25)) == 1
    assert (await events.registration(second.registration.id)).status == "cancelled"
    assert (await events.registration(third.registration.id)).status == "offered"
    with pytest.raises(Refused, match="n'est plus valable"):
        await events.accept_offer(second.registration.id)
    accepted = await events.accept_offer(third.registration.id)
    assert accepted.status == "confirmed" and accepted.confirmed_at is not None
    kinds = [kind for email, kind in await messages(db) if email == person(2).email]
    assert kinds == ["waitlisted", "offered", "offer_expired"]
    kinds = [kind for email, kind in await messages(db) if email == person(3).email]
    assert kinds == ["waitlisted", "offered", "confirmed"]


async def test_an_offer_never_outlasts_the_start(events: Events, make_event: MakeEvent) -> None:
    event = await make_event(
        in_days=0.5, kind="tour-de-france", venue="Rennes", capacity=1, offer_hours=48, questions=[]
    )
    await events.register(event.id, person(1), source="web")
    second = await events.register(event.id, person(2), source="web")
    await events.unregister(event.id, person(1).email)
    assert (await events.registration(second.registration.id)).offer_expires_at == event.starts_at


async def test_more_capacity_serves_the_waiting_list(events: Events, make_event: MakeEvent) -> None:
    event = await make_event(capacity=1)
    for n in range(4):
        await events.register(event.id, person(n), source="web")
    await events.edit(event.id, EventChanges(capacity=3))
    statuses = [r.status for r in await events.registrations(event.id)]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    await events.edit(event.id, EventChanges(capacity=0))  # no limit any more
    assert {r.status for r in await events.registrations(event.id)} == {"confirmed"}


# Changes of the event


async def test_a_new_time_or_place_tells_every_seated_registrant(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1)
    await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")
    renamed = (
        await events.edit(event.id, EventChanges(title="Réunion flash : Mon espace santé"))
    ).event
    assert renamed.ics_sequence == 0
    assert renamed.ics_uid == event.ics_uid
    moved = (
        await events.edit(
            event.id,
            EventChanges(
                starts_at=event.starts_at + timedelta(hours=1),
                ends_at=event.ends_at + timedelta(hours=1),
            ),
        )
    ).event
    assert moved.ics_sequence == 1 and moved.ics_uid == event.ics_uid
    relinked = (
        await events.edit(event.id, EventChanges(video_url="https://visio.example.org/x"))
    ).event
    assert relinked.ics_sequence == 2
    updates = [m for m in await messages(db) if m[1] == "updated"]
    assert updates == [(person(1).email, "updated")] * 2


async def test_cancelling_the_event_tells_everyone_registered(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1)
    await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")
    await events.register(event.id, person(3), source="web")
    await events.unregister(event.id, person(3).email)
    await events.cancel(event.id)
    told = [m for m in await messages(db) if m[1] == "event_cancelled"]
    assert told == [(person(1).email, "event_cancelled"), (person(2).email, "event_cancelled")]
    assert (await events.cancel(event.id)).event.status == "cancelled"
    assert len([m for m in await messages(db) if m[1] == "event_cancelled"]) == 2
    with pytest.raises(UserError, match="ne peut plus être publié"):
        await events.publish(event.id)


async def test_a_persons_registrations_are_listed_by_date(
    db: Database, config: Config, events: Events, make_event: MakeEvent
) -> None:
    later = await make_event(in_days=30)
    sooner = await make_event(in_days=3, capacity=1)
    await events.register(later.id, person(1), source="web")
    await events.register(sooner.id, person(2), source="web")
    await events.register(sooner.id, person(1), source="web")
    found = await Subscribers(db, config).find(person(1).email)
    assert found is not None
    mine = await events.registrations_of(found.id)
    assert [(e.id, r.status, r.position) for e, r in mine] == [
        (sooner.id, "waitlisted", 1),
        (later.id, "confirmed", None),
    ]


# Erasure after the event


async def test_purge_keeps_counts_and_erases_people_known_only_from_it(
    db: Database, config: Config, events: Events, make_event: MakeEvent
) -> None:
    people = Subscribers(db, config)
    await people.subscribe(
        person(1), ["bimestrielle"], Consent("cli", "Ajout.", "2026-12"), confirmed=True
    )
    event = await make_event(in_days=2, capacity=2)
    for n in range(1, 4):
        await events.register(event.id, person(n), source="web", answers={})
    other = await make_event(in_days=60)
    await events.register(other.id, person(2), source="web")
    ended = event.ends_at

    untouched = await events.purge(now=ended + timedelta(days=364))
    assert untouched.events == 0
    report = await events.purge(now=ended + timedelta(days=370))
    assert (report.events, report.registrations, report.people) == (1, 3, 1)
    purged = await events.get(event.id)
    assert purged.purged_at is not None
    assert await events.counts(purged) == {"confirmed": 2, "waitlisted": 1}
    assert await events.registrations(event.id) == []
    # person(1) is a subscriber, person(2) is registered elsewhere: both stay; person(3) goes.
    remaining = sorted(r["email"] for r in await rows(db, "SELECT email FROM subscribers"))
    assert remaining == [person(1).email, person(2).email]
    assert (await events.purge(now=ended + timedelta(days=400))).events == 0


async def test_an_offer_on_a_cancelled_event_cannot_be_taken(
    events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(
        kind="tour-de-france", venue="Rennes", capacity=1, offer_hours=24, questions=[]
    )
    await events.register(event.id, person(1), source="web")
    second = await events.register(event.id, person(2), source="web")
    await events.unregister(event.id, person(1).email)
    assert (await events.registration(second.registration.id)).status == "offered"
    cancelled = (await events.cancel(event.id)).event
    assert cancelled.ics_sequence == event.ics_sequence + 1  # a new STATUS: RFC 5545
    with pytest.raises(Refused, match="annulé ou terminé"):
        await events.accept_offer(second.registration.id)


async def test_closed_reason_says_why_nobody_may_register(
    events: Events, make_event: MakeEvent
) -> None:
    now = datetime.now(UTC)
    assert events.closed_reason(await make_event()) is None
    draft = await make_event(publish=False)
    assert "pas encore publié" in (events.closed_reason(draft) or "")
    later = await make_event(opens_at=now + timedelta(days=1))
    assert "ouvrent le" in (events.closed_reason(later) or "")


async def test_a_moved_event_owes_its_reminders_again(
    db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=2)
    registered = await events.register(event.id, person(1), source="web")
    now = "2026-12-01T00:00:00+00:00"
    for kind, status in (("reminder:1440", "sent"), ("reminder:60", "sending")):
        await db.conn.execute(
            "INSERT INTO event_messages (registration_id, kind, status, created_at) "
            "VALUES (?, ?, ?, ?)",
            (registered.registration.id, kind, status, now),
        )
    await events.edit(event.id, EventChanges(title="Nouveau titre"))
    assert len(await rows(db, "SELECT id FROM event_messages WHERE kind LIKE 'reminder:%'")) == 2
    later = event.starts_at + timedelta(days=1)
    await events.edit(event.id, EventChanges(starts_at=later, ends_at=later + timedelta(hours=2)))
    # The one sent is owed again at the new time; the one in doubt stays (never resent).
    left = await rows(db, "SELECT kind, status FROM event_messages WHERE kind LIKE 'reminder:%'")
    assert left == [{"kind": "reminder:60", "status": "sending"}]


# Privacy: what a typed address may learn, and who stays eligible


async def everything_stored(db: Database) -> str:
    """The whole database as SQL text: where an address kept in clear would show."""
    return "\n".join([line async for line in db.conn.iterdump()])


@pytest.mark.parametrize("reason", ["erased", "bounce", "complaint"])
async def test_a_blocked_address_is_never_stored_again_by_a_registration(
    events: Events, make_event: MakeEvent, db: Database, config: Config, reason: str
) -> None:
    event = await make_event(title="Café", audience="public")
    people = Subscribers(db, config)
    address = "bloquee@cpts-exemple.fr"
    if reason == "erased":
        await people.forget(address)
    else:
        await people.save_person(Person(address, "Bloquée"))
        await people.suppress(address, reason)
    stored_before = await rows(db, "SELECT id FROM subscribers")

    # A typed address (the public form): nothing stored, nothing said.
    assert await events.request(event.slug, Person(address, "Bloquée"), source="web") is False
    # Staff (the command line) are told why.
    with pytest.raises(Suppressed, match="ne peuvent plus être envoyés à cette adresse"):
        await events.register(event.id, Person(address), source="cli", staff=True)

    assert await rows(db, "SELECT id FROM subscribers") == stored_before
    assert await rows(db, "SELECT id FROM registrations") == []
    assert await messages(db) == []
    if reason == "erased":
        assert address not in await everything_stored(db)


async def test_a_typed_address_changes_no_registration_it_finds(
    events: Events, make_event: MakeEvent, db: Database
) -> None:
    event = await make_event(title="Café", audience="public", capacity=1)
    seated = await events.register(event.id, person(1), source="cli")
    waiting = await events.register(event.id, person(2), source="cli")
    left = await events.register(event.id, person(3), source="cli")
    await events.cancel_registration(left.registration.id)
    queued = await messages(db)

    for n in (1, 2, 3):
        typed = Person(person(n).email, "Usurpateur")
        assert await events.request(event.slug, typed, source="web") is False
    assert await messages(db) == queued  # no e-mail, no change
    statuses = await rows(db, "SELECT id, status FROM registrations ORDER BY id")
    assert [r["status"] for r in statuses] == ["confirmed", "waitlisted", "cancelled"]
    assert [r["id"] for r in statuses] == [
        seated.registration.id,
        waiting.registration.id,
        left.registration.id,
    ]

    # A new address is registered, and told by e-mail.
    assert await events.request(event.slug, person(4), source="web") is True
    assert (await messages(db))[-1] == (person(4).email, "waitlisted")
    # The person's own link (a proven address) renews a cancelled registration.
    renewed = await events.register(event.id, person(3), source="web")
    assert renewed.created and renewed.registration.status == "waitlisted"


async def test_a_typed_address_gets_only_what_the_event_refuses_to_everyone(
    events: Events, make_event: MakeEvent, db: Database
) -> None:
    reserved = await make_event(title="Réservé")  # salariés + élus
    # Even a member's address typed by anyone: the form of a reserved event is not anonymous.
    await events.register(reserved.id, person(1), source="cli")
    with pytest.raises(NotEligible, match="lien « Mes inscriptions »"):
        await events.request(reserved.slug, person(1), source="web")
    with pytest.raises(NotEligible, match="lien « Mes inscriptions »"):
        await events.request(reserved.slug, person(2), source="web")

    full = await make_event(title="Complet", audience="public", capacity=1, waitlist="none")
    await events.register(full.id, person(1), source="cli")
    for n in (1, 2):  # the one registered gets the same answer as anyone
        with pytest.raises(Refused, match="complet"):
            await events.request(full.slug, person(n), source="web")


async def test_events_are_found_by_slug_only_where_it_is_asked(
    events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(title="Café", audience="public")
    assert await events.by_slug(event.slug) == event
    with pytest.raises(UserError, match="événement inconnu"):
        await events.by_slug(str(event.id))


async def test_a_withdrawn_membership_cancels_the_registrations_it_no_longer_allows(
    events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    reserved = await make_event(title="Réunion flash", capacity=1)  # salariés + élus
    members = await make_event(title="Assemblée", audience="members")
    public = await make_event(title="Café", audience="public")
    past = await make_event(title="Passé")
    for event in (past, reserved, members, public):
        await events.register(event.id, person(1), source="cli")
    before = datetime.now(UTC) - timedelta(days=2)
    await events.edit(past.id, EventChanges(starts_at=before, ends_at=before + timedelta(hours=2)))
    await events.register(reserved.id, person(2), source="cli")  # waiting for the seat

    change = await Subscribers(db, config).set_member(person(1).email, False, "cli", "fin")

    assert change is not None and change.cancelled == ["Réunion flash", "Assemblée"]
    found = await rows(
        db,
        "SELECT e.title, s.email, r.status FROM registrations AS r "
        "JOIN events AS e ON e.id = r.event_id JOIN subscribers AS s ON s.id = r.subscriber_id "
        "ORDER BY r.id",
    )
    assert [(r["title"], r["email"], r["status"]) for r in found] == [
        ("Passé", person(1).email, "confirmed"),  # over: history, left as it was
        ("Réunion flash", person(1).email, "cancelled"),
        ("Assemblée", person(1).email, "cancelled"),
        ("Café", person(1).email, "confirmed"),  # public: still allowed
        ("Réunion flash", person(2).email, "confirmed"),  # the seat went to the next
    ]
    assert (await messages(db))[-3:] == [
        (person(1).email, "ineligible"),
        (person(2).email, "promoted"),
        (person(1).email, "ineligible"),
    ]
    # Granting membership again cancels nothing, and renews nothing by itself.
    again = await Subscribers(db, config).set_member(person(1).email, True, "cli")
    assert again is not None and again.cancelled == []


async def test_a_seat_goes_only_to_someone_still_eligible(
    events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await make_event(title="Réunion flash", capacity=1)  # salariés + élus
    seated = await events.register(event.id, person(1), source="cli")
    await events.register(event.id, person(2), source="cli")
    await events.register(event.id, person(3), source="cli")
    # Person 2's record changes (a new role, from an import) while they wait.
    await Subscribers(db, config).save_person(Person(person(2).email, role="partenaire"))

    await events.cancel_registration(seated.registration.id)

    statuses = await rows(db, "SELECT status FROM registrations ORDER BY id")
    assert [r["status"] for r in statuses] == ["cancelled", "cancelled", "confirmed"]
    assert (await messages(db))[-3:] == [
        (person(1).email, "cancelled"),
        (person(2).email, "ineligible"),
        (person(3).email, "promoted"),
    ]


async def test_an_offer_is_not_taken_by_someone_no_longer_eligible(
    events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await make_event(title="Réunion flash", capacity=1, waitlist="offer")
    seated = await events.register(event.id, person(1), source="cli")
    waiting = await events.register(event.id, person(2), source="cli")
    await events.cancel_registration(seated.registration.id)
    assert (await events.registration(waiting.registration.id)).status == "offered"
    await Subscribers(db, config).save_person(Person(person(2).email, role="partenaire"))

    with pytest.raises(NotEligible, match="réservé aux Collectifs des salariés et des élus"):
        await events.accept_offer(waiting.registration.id)
    assert (await events.registration(waiting.registration.id)).status == "offered"


async def test_the_services_errors_name_no_command_and_keep_what_was_asked(
    events: Events, make_event: MakeEvent
) -> None:
    with pytest.raises(EventNotFound) as unknown:
        await events.get("pas-un-evenement")
    assert unknown.value.ref == "pas-un-evenement"
    assert str(unknown.value) == "événement inconnu « pas-un-evenement »"
    with pytest.raises(InvalidEvent) as placeless:
        await make_event(kind="tour-de-france", venue="")
    assert placeless.value.field == "venue" and "--" not in str(placeless.value)
    event = await make_event()
    with pytest.raises(NotRegistered) as stranger:
        await events.unregister(event.id, "inconnu@exemple.fr")
    assert stranger.value.email == "inconnu@exemple.fr" and stranger.value.event == event
