"""The events' work inside `hub run`: offers that expire, reminders that come due, the e-mails
the service queued, and the daily erasure of old registrations.

Everything it acts on is a row (offers with their deadline, messages, reminders with their
moment), so nothing is lost while the hub is down: an offer that expired meanwhile is handled
when it comes back, and its seat goes to the next person. The loop wakes at the next offer's
deadline or every `CHECK_EVERY_SECONDS`, and at once when its `Wakeup` is notified (the `Events`
service notifies it after every commit that queued e-mails, so a confirmation leaves within the
second).

A plain async context manager (`events_worker`): the process that hosts it (`hub run`'s web
application, through `hub.process.cleanup_ctx`) only enters and leaves it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hub.config import Config
from hub.db import Database
from hub.events.mailer import deliver_pending, messages_in_doubt
from hub.events.reminders import queue_due_reminders
from hub.events.service import Events
from hub.mail import Messenger
from hub.wakeup import Wakeup

log = logging.getLogger("hub.events")

CHECK_EVERY_SECONDS = 30.0  # reminders are due on the minute; a check this often is on time
PURGE_EVERY = timedelta(days=1)
STOP_GRACE_SECONDS = 2.5  # within hub run's shutdown grace


@dataclass
class EventsWork:
    """One pass of the events' background work, and what it remembers between passes."""

    db: Database
    config: Config
    messenger: Messenger
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    last_purge: datetime | None = None
    known_in_doubt: int = 0
    # The service (`HubServices.events`); one of its own when not given.
    service: Events | None = None

    @property
    def events(self) -> Events:
        if self.service is None:
            self.service = Events(self.db, self.config)
        return self.service

    async def tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        events = self.events
        expired = await events.expire_offers(now=now)
        if expired:
            log.info("offers expired", extra={"offers": expired})
        due = await queue_due_reminders(self.db, self.config, now=now)
        if due:
            log.info("reminders queued", extra={"reminders": due})
        report = await deliver_pending(
            self.db, self.config, self.messenger, stopping=self.stopping, events=events
        )
        if report.total:
            log.info(
                "event mail delivered",
                extra={
                    "sent": report.sent,
                    "failed": report.failed,
                    "skipped": report.skipped,
                    "in_doubt": report.in_doubt,
                },
            )
        await self._warn_in_doubt()
        if self.last_purge is None or now - self.last_purge >= PURGE_EVERY:
            purged = await events.purge(now=now)
            self.last_purge = now
            if purged.events:
                log.info(
                    "event registrations erased",
                    extra={
                        "events": purged.events,
                        "registrations": purged.registrations,
                        "people": purged.people,
                    },
                )

    async def _warn_in_doubt(self) -> None:
        """Say once, not at every pass, which messages were left perhaps sent."""
        doubtful = await messages_in_doubt(self.db)
        if len(doubtful) > self.known_in_doubt:
            log.warning(
                "event mail in doubt, not resent",
                extra={
                    "mails": ",".join(str(m["id"]) for m in doubtful),
                    "hint": "a crash mid-send or a lost answer: perhaps received",
                },
            )
        self.known_in_doubt = len(doubtful)

    async def seconds_to_sleep(self, now: datetime | None = None) -> float:
        """Until the next check, or the next offer's deadline if sooner."""
        now = now or datetime.now(UTC)
        expiry = await self.events.next_offer_expiry()
        if expiry is None:
            return CHECK_EVERY_SECONDS
        return max(0.0, min(CHECK_EVERY_SECONDS, (expiry - now).total_seconds()))


@asynccontextmanager
async def events_worker(
    db: Database,
    config: Config,
    messenger: Messenger,
    wakeup: Wakeup,
    *,
    events: Events | None = None,
) -> AsyncIterator[EventsWork]:
    """The events' work, running in a task for as long as the block lasts; it sleeps on
    `wakeup` between passes. On leaving, the e-mail in hand is finished (its outcome recorded),
    then the work stops. The messenger stays the caller's to close."""
    work = EventsWork(db, config, messenger, service=events)

    async def loop() -> None:
        while not work.stopping.is_set():
            try:
                await work.tick()
                pause = await work.seconds_to_sleep()
            except Exception:
                log.exception("events work failed")
                pause = CHECK_EVERY_SECONDS
            if work.stopping.is_set():
                break
            await wakeup.wait(pause)

    task = asyncio.create_task(loop(), name="events")
    try:
        yield work
    finally:
        work.stopping.set()
        wakeup.notify()
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), timeout=STOP_GRACE_SECONDS)
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
