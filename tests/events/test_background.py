"""The events' work inside `hub run` (the app `build_app` makes, started and stopped as `hub run`
does): offers that expired while the hub was down, the confirmation sent at once when the web
wakes it, the daily erasure, the pause until the next offer's deadline."""

from __future__ import annotations

import ast
import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiohttp import web

from hub.config import Config
from hub.db import Database
from hub.events.background import CHECK_EVERY_SECONDS, EventsWork, events_worker
from hub.events.service import Events, NewEvent
from hub.mail.factory import make_messenger
from hub.process import build_app
from hub.wakeup import Wakeup
from hub.web import SERVICES_KEY
from tests.events.support_mail import deliver, mails_to, person, rows

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ANSWERS = {"cpts": "CPTS du Rhône"}
OFFERED = "Une place vous est réservée : Étape du Tour de France à Lyon"
EXPIRED = "Place non acceptée à temps : Étape du Tour de France à Lyon"
WAIT_SECONDS = 30  # the longest the tests wait for the background work (it takes far less)


@asynccontextmanager
async def hub_running(config: Config) -> AsyncIterator[web.Application]:
    """`hub run`'s application, started (database, background work) then stopped."""
    app = build_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        yield app
    finally:
        await runner.cleanup()


async def until(condition: Callable[[], Any]) -> None:
    """Wait for the background work to make `condition` true (a test fails if it never does)."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the background work did not do it"
        await asyncio.sleep(0.05)


def tour(**fields: Any) -> NewEvent:
    start = T0 + timedelta(days=20)
    given: dict[str, Any] = {
        "title": "Étape du Tour de France à Lyon",
        "kind": "tour-de-france",
        "starts_at": start,
        "ends_at": start + timedelta(hours=6),
        "venue": "Maison des associations",
        "capacity": 1,
        "offer_hours": 2,
        "publish": True,
        **fields,
    }
    return NewEvent(**given)


async def test_an_offer_that_expired_while_the_hub_was_down_passes_on_when_it_is_back(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    time_machine.move_to(T0, tick=False)
    async with await Database.open(config.database_path) as db:
        events = Events(db, config)
        event = await events.create(tour())
        first = await events.register(event.id, person(1), source="web", answers=ANSWERS)
        second = await events.register(event.id, person(2), source="web", answers=ANSWERS)
        third = await events.register(event.id, person(3), source="web", answers=ANSWERS)
        await events.cancel_registration(first.registration.id)  # the second is offered it
        await deliver(db, config)
    assert OFFERED in mails_to(config, person(2).email)

    # The hub is down when the offer expires; three hours later it is started again.
    time_machine.move_to(T0 + timedelta(hours=3), tick=False)
    async with hub_running(config):
        await until(lambda: OFFERED in mails_to(config, person(3).email))

    assert EXPIRED in mails_to(config, person(2).email)
    async with await Database.open(config.database_path) as db:
        events = Events(db, config)
        assert (await events.registration(second.registration.id)).status == "cancelled"
        offered = await events.registration(third.registration.id)
        assert offered.status == "offered"
        # Held from when the hub came back, for the event's two hours.
        assert offered.offer_expires_at == T0 + timedelta(hours=5)
        statuses = await rows(db, "SELECT DISTINCT status FROM event_messages ORDER BY 1")
        assert statuses == [{"status": "sent"}, {"status": "skipped"}]  # nothing left behind


async def test_a_registration_is_mailed_at_once_when_the_web_wakes_the_work(
    config: Config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Only the wakeup can have the second confirmation sent within the test's time.
    monkeypatch.setattr("hub.events.background.CHECK_EVERY_SECONDS", 3600.0)
    start = datetime.now(UTC) + timedelta(days=5)
    async with await Database.open(config.database_path) as db:
        events = Events(db, config)
        event = await events.create(
            NewEvent(
                title="Réunion flash : le Ségur du numérique",
                kind="reunion-flash",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                publish=True,
            )
        )
        await events.register(event.id, person(1), source="web")

    subject = "Inscription confirmée : Réunion flash : le Ségur du numérique"
    with caplog.at_level(logging.INFO, logger="hub.events"):
        async with hub_running(config) as app:
            # The first pass, at start, sends what was waiting; then the work sleeps.
            await until(
                lambda: any(r.getMessage() == "event mail delivered" for r in caplog.records)
            )
            assert subject in mails_to(config, person(1).email)

            # The process's one events service wakes the work itself, after its commit.
            events = app[SERVICES_KEY].events
            await events.register(event.id, person(2), source="web")
            await until(lambda: subject in mails_to(config, person(2).email))


async def test_the_old_registrations_are_erased_once_a_day(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    time_machine.move_to(T0, tick=False)
    async with await Database.open(config.database_path) as db:
        events = Events(db, config)
        first = await events.create(tour(title="Étape à Lyon", capacity=0))
        later = await events.create(
            tour(title="Étape à Lille", capacity=0, ends_at=first.ends_at + timedelta(minutes=30))
        )
        for event in (first, later):
            await events.register(event.id, person(1), source="web", answers=ANSWERS)
        work = EventsWork(db, config, make_messenger(config))

        # A year after the first ended (the configured 12 months), and a minute.
        year_after = first.ends_at.replace(year=first.ends_at.year + 1)
        time_machine.move_to(year_after + timedelta(minutes=1), tick=False)
        await work.tick()
        assert (await events.get(first.id)).purged_at is not None
        assert (await events.get(later.id)).purged_at is None
        assert await events.counts(await events.get(first.id)) == {"confirmed": 1}

        time_machine.move_to(datetime.now(UTC) + timedelta(hours=1), tick=False)
        await work.tick()  # the other is old enough now, but the erasure ran an hour ago
        assert (await events.get(later.id)).purged_at is None

        time_machine.move_to(datetime.now(UTC) + timedelta(days=1), tick=False)
        await work.tick()
        assert (await events.get(later.id)).purged_at is not None
        assert await rows(db, "SELECT id FROM registrations") == []
        await work.messenger.close()


async def test_the_work_wakes_for_the_next_offers_deadline(
    config: Config, time_machine: time_machine.TimeMachineFixture
) -> None:
    time_machine.move_to(T0, tick=False)
    async with await Database.open(config.database_path) as db:
        events = Events(db, config)
        work = EventsWork(db, config, make_messenger(config))
        assert await work.seconds_to_sleep() == CHECK_EVERY_SECONDS  # no offer

        event = await events.create(tour(offer_hours=1))
        first = await events.register(event.id, person(1), source="web", answers=ANSWERS)
        await events.register(event.id, person(2), source="web", answers=ANSWERS)
        await events.cancel_registration(first.registration.id)  # offered until T0 + 1 h

        time_machine.move_to(T0 + timedelta(minutes=59, seconds=50), tick=False)
        assert await work.seconds_to_sleep() == 10.0
        time_machine.move_to(T0 + timedelta(hours=2), tick=False)
        assert await work.seconds_to_sleep() == 0.0  # overdue: at once
        await work.messenger.close()


async def test_the_work_is_a_plain_context_that_any_host_may_run(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No web application needed (the Discord bots' process, a test): the work runs while the
    block lasts, wakes on its `Wakeup` when the service notifies it, and stops on leaving."""
    monkeypatch.setattr("hub.events.background.CHECK_EVERY_SECONDS", 3600.0)
    source = (Path(__file__).parents[2] / "hub/events/background.py").read_text()
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(str(name).startswith("aiohttp") for name in imported)

    start = datetime.now(UTC) + timedelta(days=5)
    subject = "Inscription confirmée : Réunion flash : le Ségur du numérique"
    wakeup = Wakeup()
    messenger = make_messenger(config)
    async with await Database.open(config.database_path) as db:
        events = Events(db, config, mail_queued=wakeup.notify)
        event = await events.create(
            NewEvent(
                title="Réunion flash : le Ségur du numérique",
                kind="reunion-flash",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                publish=True,
            )
        )
        async with events_worker(db, config, messenger, wakeup, events=events) as work:
            await asyncio.sleep(0.2)  # the first pass, then the work sleeps for an hour
            await events.register(event.id, person(1), source="web")
            await until(lambda: subject in mails_to(config, person(1).email))
        assert work.stopping.is_set()
        await events.register(event.id, person(2), source="web")  # nobody works any more
        await asyncio.sleep(0.2)
        assert subject not in mails_to(config, person(2).email)
    await messenger.close()
