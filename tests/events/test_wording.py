"""The French phrases every channel shares about events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.events import labels, wording
from hub.events.model import Registration
from tests.events.test_model import event

PARIS = ZoneInfo("Europe/Paris")


def test_seats_are_said_the_same_everywhere() -> None:
    counts = {"confirmed": 1, "offered": 1, "waitlisted": 2}
    assert wording.seats_taken(event(capacity=2), counts) == "2/2"
    assert (
        wording.seats_taken(event(capacity=None), {"confirmed": 2100}) == "2\u202f100 (sans limite)"
    )
    assert wording.seats_left(event(capacity=3), counts) == "1 place restante"
    assert wording.seats_left(event(capacity=4), counts) == "2 places restantes"
    assert wording.seats_left(event(capacity=2), counts) == "Complet — liste d'attente"
    assert wording.seats_left(event(capacity=2, waitlist="none"), counts) == "Complet"
    assert wording.seats_left(event(capacity=None), counts) is None


def test_times_are_in_paris_and_in_french() -> None:
    start = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)  # 9h in Paris
    one_day = event(starts_at=start, ends_at=start + timedelta(hours=8, minutes=30))
    assert wording.when(one_day, PARIS) == "mercredi 4 novembre 2026, de 9h à 17h30"
    now = start - timedelta(hours=20)
    assert wording.soon(start, now, PARIS) == "demain à 9h"
    assert wording.soon(start, start - timedelta(hours=1), PARIS) == "aujourd'hui à 9h"


def test_a_registrations_state_in_a_few_words() -> None:
    assert wording.registration_state("confirmed", None, None, PARIS) == "confirmé"
    assert wording.registration_state("waitlisted", 2, None, PARIS) == (
        "liste d'attente (position 2)"
    )
    deadline = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
    assert wording.registration_state("offered", None, deadline, PARIS) == (
        "place proposée jusqu'au 4 novembre 2026 à 9h"
    )
    assert labels.REGISTRATION_LABELS is wording.REGISTRATION_LABELS  # one table


def test_an_offers_deadline_is_said_with_its_weekday_in_paris() -> None:
    deadline = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
    offered = Registration(
        id=1,
        event_id=1,
        subscriber_id=1,
        status="offered",
        source="web",
        answers={},
        waitlisted_at=None,
        offer_expires_at=deadline,
        confirmed_at=None,
        cancelled_at=None,
        created_at=deadline - timedelta(days=2),
    )
    assert wording.offer_deadline(offered, PARIS) == "mercredi 4 novembre 2026 à 9h"
    assert wording.offer_deadline(replace(offered, offer_expires_at=None), PARIS) == ""
