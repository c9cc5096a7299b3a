"""`hub run`: the one long-running process — web app, feeds, campaign sends, the events' e-mails
and offers, and later the Discord bots.

Background loops (the periodic jobs, the campaign sends, the events' work, later the bots) are
plain async context managers: each runs while its `async with` block runs and stops cleanly
when the block ends, and none imports the web framework. This module ties them to the web
application's lifecycle with one adapter, `cleanup_ctx`: they start after the database opens
and stop before it closes. A new loop is one more async context manager, adapted here.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

from aiohttp import web

from hub.campaigns.runner import campaigns_worker
from hub.config import Config
from hub.mail import Messenger
from hub.mail.factory import make_messenger
from hub.process_events import events_background
from hub.scheduler import PeriodicJob, periodic
from hub.web import CONFIG_KEY, DB_KEY
from hub.web.app import create_app
from hub.web.serve import serve_until
from hub.web.subscriptions import purge_stale_signups
from newsletters.fetch import pull_configured

log = logging.getLogger("hub.process")

SHUTDOWN_GRACE_SECONDS = 3.0

BackgroundFactory = Callable[[web.Application], AbstractAsyncContextManager[object]]


def cleanup_ctx(
    factory: BackgroundFactory,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context that enters `factory(app)` when the application starts and
    leaves it at its cleanup: how every background loop of the process is attached."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with factory(app):
            yield

    return context


@asynccontextmanager
async def _messenger(config: Config) -> AsyncIterator[Messenger]:
    """A mail backend for one background loop, closed after the loop stopped."""
    messenger = make_messenger(config)
    try:
        yield messenger
    finally:
        await messenger.close()


async def pull_configured_feeds(app: web.Application) -> None:
    config = app[CONFIG_KEY]
    report = await pull_configured(app[DB_KEY], config)
    if config.feeds.sources and not report.any_read:
        log.warning("no feed could be read", extra={"feeds": len(config.feeds.sources)})


def build_app(config: Config) -> web.Application:
    """The web app with every background job of the hub attached to its lifecycle."""

    def jobs(app: web.Application) -> AbstractAsyncContextManager[object]:
        return periodic(
            [
                PeriodicJob(
                    "feeds",
                    config.feeds.pull_every_minutes * 60,
                    partial(pull_configured_feeds, app),
                ),
                PeriodicJob("signups", 86_400, partial(purge_stale_signups, app)),
            ]
        )

    @asynccontextmanager
    async def campaigns(app: web.Application) -> AsyncIterator[object]:
        async with (
            _messenger(config) as messenger,
            campaigns_worker(app[DB_KEY], config, messenger) as runner,
        ):
            yield runner

    return create_app(
        config,
        background=[
            cleanup_ctx(jobs),
            cleanup_ctx(campaigns),
            events_background(DB_KEY, make_messenger, config),
        ],
    )


async def serve(
    config: Config,
    host: str,
    port: int,
    *,
    on_ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (or `stop`), then stop every background job and close cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def ready(url: str) -> None:
        log.info("hub started", extra={"url": url, "database": str(config.database_path)})
        on_ready(url)

    try:
        await serve_until(
            build_app(config),
            host,
            port,
            on_ready=ready,
            stop=stop,
            limits=config.web,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("hub stopped")
