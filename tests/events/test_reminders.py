"""Reminders before an event, on a frozen clock (time-machine, no sleeping): each sent once, also
across restarts of the hub (the database closed and opened again between runs), the latest
only when the hub was down through several, never for a cancelled registration or event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.events.mailer import DeliveryReport
from hub.events.model import Event, EventChanges
from hub.events.reminders import SUPERSEDED, queue_due_reminders, queue_reminder_now
from hub.events.service import Events, NewEvent
from tests.events.support_mail import body, deliver, mails_to, outbox, person, rows, to

VIDEO = "https://visio.fcpts.org/rendez-vous-des-elus"
START = datetime(2027, 3, 10, 13, 0, tzinfo=UTC)  # Wednesday 10 March 2027, 14h in Paris
DAY_BEFORE = START - timedelta(minutes=1440)
HOUR_BEFORE = START - timedelta(minutes=60)
TITLE = "Réunion flash : le Ségur du numérique"
TOMORROW = f"Rappel : {TITLE}, demain à 14h"
TODAY = f"Rappel : {TITLE}, aujourd'hui à 14h"


@asynccontextmanager
async def hub(config: Config) -> AsyncIterator[tuple[Database, Events]]:
    """One run of the hub: the database opened, then closed as a stopping process closes it."""
    db = await Database.open(config.database_path)
    try:
        yield db, Events(db, config)
    finally:
        await db.close()


async def set_up(config: Config, clock: time_machine.TimeMachineFixture, *people: int) -> Event:
    """Three days before: the event (reminders the day before and an hour before, its kind's
    default) and these people registered and confirmed by e-mail."""
    clock.move_to(START - timedelta(days=3), tick=False)
    async with hub(config) as (db, events):
        event = await events.create(
            NewEvent(
                title=TITLE,
                kind="reunion-flash",
                starts_at=START,
                ends_at=START + timedelta(hours=2),
                video_url=VIDEO,
                publish=True,
            )
        )
        assert event.reminders_minutes == [1440, 60]
        for n in people:
            await events.register(event.id, person(n), source="web")
        assert await deliver(db, config) == DeliveryReport(sent=len(people))
    return event


async def run(config: Config) -> tuple[int, DeliveryReport]:
    """What `hub run` does when it checks: queue the reminders due, deliver; then it stops."""
    async with hub(config) as (db, _):
        queued = await queue_due_reminders(db, config)
        return queued, await deliver(db, config)


def subjects(config: Config, n: int) -> set[str]:
    return set(mails_to(config, person(n).email))


async def test_each_reminder_is_sent_once_at_its_moment_even_across_restarts(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    await set_up(config, time_machine, 1, 2)
    assert await run(config) == (0, DeliveryReport())

    time_machine.move_to(DAY_BEFORE - timedelta(seconds=1), tick=False)
    assert await run(config) == (0, DeliveryReport())
    time_machine.move_to(DAY_BEFORE, tick=False)
    assert await run(config) == (2, DeliveryReport(sent=2))
    # Checked again, and after a restart: nothing more.
    assert await run(config) == (0, DeliveryReport())
    time_machine.move_to(DAY_BEFORE + timedelta(minutes=5), tick=False)
    assert await run(config) == (0, DeliveryReport())

    time_machine.move_to(HOUR_BEFORE + timedelta(seconds=30), tick=False)
    assert await run(config) == (2, DeliveryReport(sent=2))
    time_machine.move_to(START - timedelta(minutes=1), tick=False)
    assert await run(config) == (0, DeliveryReport())

    for n in (1, 2):
        assert subjects(config, n) == {f"Inscription confirmée : {TITLE}", TOMORROW, TODAY}
        reminder = mails_to(config, person(n).email)[TOMORROW]
        text = body(reminder, "plain")
        assert f"Petit rappel : « {TITLE} » commence demain à 14h." in text
        assert f"Lien de connexion : {VIDEO}" in text
        assert "/evenements/mes-inscriptions/" in text


async def test_after_a_stop_through_several_moments_only_the_latest_is_sent(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    await set_up(config, time_machine, 1)

    time_machine.move_to(START - timedelta(minutes=30), tick=False)  # both moments passed
    assert await run(config) == (1, DeliveryReport(sent=1))

    assert subjects(config, 1) == {f"Inscription confirmée : {TITLE}", TODAY}
    async with hub(config) as (db, _):
        found = await rows(
            db, "SELECT kind, status, error FROM event_messages WHERE kind LIKE 'reminder%'"
        )
    assert sorted(found, key=lambda r: r["kind"]) == [
        {"kind": "reminder:1440", "status": "skipped", "error": SUPERSEDED},
        {"kind": "reminder:60", "status": "sent", "error": None},
    ]


async def test_someone_registered_after_a_reminders_moment_skips_that_one(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    event = await set_up(config, time_machine, 1)
    time_machine.move_to(DAY_BEFORE + timedelta(minutes=1), tick=False)
    assert await run(config) == (1, DeliveryReport(sent=1))

    time_machine.move_to(START - timedelta(hours=10), tick=False)
    async with hub(config) as (_, events):
        await events.register(event.id, person(2), source="web")
    assert await run(config) == (0, DeliveryReport(sent=1))  # the confirmation only

    time_machine.move_to(HOUR_BEFORE, tick=False)
    assert await run(config) == (2, DeliveryReport(sent=2))
    assert subjects(config, 1) == {f"Inscription confirmée : {TITLE}", TOMORROW, TODAY}
    assert subjects(config, 2) == {f"Inscription confirmée : {TITLE}", TODAY}


async def test_no_reminder_for_a_cancelled_registration(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    event = await set_up(config, time_machine, 1, 2, 3)
    async with hub(config) as (_, events):
        await events.unregister(event.id, person(3).email)  # before the moment: never queued

    time_machine.move_to(DAY_BEFORE, tick=False)
    async with hub(config) as (db, events):
        assert await queue_due_reminders(db, config) == 2
        await events.unregister(event.id, person(2).email)  # queued, then cancelled: checked again
        # The reminder of the first, the cancellations of the others; the second's reminder not.
        assert await deliver(db, config) == DeliveryReport(sent=3, skipped=1)
        (skipped,) = await rows(db, "SELECT error FROM event_messages WHERE status = 'skipped'")
    assert skipped["error"] == "l'inscription n'est plus dans cet état (maintenant : cancelled)"
    assert TOMORROW in subjects(config, 1)
    assert TOMORROW not in subjects(config, 2) | subjects(config, 3)


async def test_no_reminder_for_a_cancelled_event(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    event = await set_up(config, time_machine, 1)
    time_machine.move_to(DAY_BEFORE, tick=False)
    async with hub(config) as (db, events):
        assert await queue_due_reminders(db, config) == 1
        await events.cancel(event.id)
        assert await deliver(db, config) == DeliveryReport(sent=1, skipped=1)  # the cancellation

    time_machine.move_to(HOUR_BEFORE, tick=False)
    assert await run(config) == (0, DeliveryReport())
    assert subjects(config, 1) == {
        f"Inscription confirmée : {TITLE}",
        f"Événement annulé : {TITLE}",
    }


async def test_a_reminder_whose_event_began_while_the_hub_was_down_is_not_sent(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    await set_up(config, time_machine, 1)
    time_machine.move_to(DAY_BEFORE, tick=False)
    async with hub(config) as (db, _):
        assert await queue_due_reminders(db, config) == 1  # and the hub stops before sending

    time_machine.move_to(START + timedelta(minutes=5), tick=False)
    assert await run(config) == (0, DeliveryReport(skipped=1))
    assert subjects(config, 1) == {f"Inscription confirmée : {TITLE}"}


async def test_staff_send_a_reminder_now_as_often_as_they_ask(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    event = await set_up(config, time_machine, 1)
    async with hub(config) as (db, events):
        full = (await events.edit(event.id, EventChanges(capacity=1))).event
        await events.register(full.id, person(2), source="web")  # waiting: no reminder
        assert await queue_reminder_now(db, event.id) == 1
        assert await deliver(db, config) == DeliveryReport(sent=2)  # the reminder, the waiting
        assert await queue_reminder_now(db, event.id) == 1
        assert await deliver(db, config) == DeliveryReport(sent=1)

    reminders = [
        m
        for m in outbox(config)
        if to(m) == person(1).email and str(m["Subject"]).startswith("Rappel")
    ]
    assert len(reminders) == 2
    assert {str(m["Subject"]) for m in reminders} == {
        f"Rappel : {TITLE}, le mercredi 10 mars 2027 à 14h"
    }
    assert VIDEO in body(reminders[0], "plain")


async def test_no_reminder_now_for_an_event_cancelled_or_unknown(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    event = await set_up(config, time_machine, 1)
    async with hub(config) as (db, events):
        await events.cancel(event.id)
        with pytest.raises(UserError, match="est annulé : aucun rappel envoyé"):
            await queue_reminder_now(db, event.id)
        with pytest.raises(UserError, match="événement inconnu"):
            await queue_reminder_now(db, event.id + 1)
        time_machine.move_to(START + timedelta(days=1), tick=False)
        other = await events.create(
            NewEvent(
                title="Passé",
                kind="reunion-flash",
                starts_at=START,
                ends_at=START + timedelta(hours=1),
                publish=True,
            )
        )
        with pytest.raises(UserError, match="est terminé"):
            await queue_reminder_now(db, other.id)
