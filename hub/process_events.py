"""The events' background work hosted by `hub run`'s web application (an aiohttp cleanup
context around `hub.events.background.events_worker`, which knows nothing of aiohttp)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from hub.config import Config
from hub.db import Database
from hub.events.background import events_worker
from hub.events.service import Events
from hub.mail import Messenger
from hub.wakeup import Wakeup

# The mail worker's wake-up, for whatever in the application builds an `Events` service
# (`mail_queued=app[MAIL_WAKEUP_KEY].notify`) until the application gets `HubServices`.
MAIL_WAKEUP_KEY = web.AppKey("mail_wakeup", Wakeup)


def events_background(
    db_key: web.AppKey[Database],
    messenger_factory: Callable[[Config], Messenger],
    config: Config,
    *,
    wakeup: Wakeup | None = None,
    events: Events | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running the events' work for as long as the application lives; it
    wakes on `wakeup` (installed as `app[MAIL_WAKEUP_KEY]`; a new one when not given)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        alarm = wakeup or Wakeup()
        app[MAIL_WAKEUP_KEY] = alarm
        messenger = messenger_factory(config)
        try:
            async with events_worker(app[db_key], config, messenger, alarm, events=events):
                yield
        finally:
            await messenger.close()

    return context
