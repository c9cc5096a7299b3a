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
from contextlib import AbstractAsyncContextManager
from functools import partial

from aiohttp import web

from bots.runtime import running_bots
from hub.config import Config
from hub.events.background import events_worker
from hub.scheduler import PeriodicJob, periodic
from hub.services import HubServices
from hub.subscribers.signup import purge_stale_signups
from hub.web import SERVICES_KEY
from hub.web.app import create_app
from hub.web.serve import serve_until
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


async def pull_configured_feeds(app: web.Application) -> None:
    services = app[SERVICES_KEY]
    config = services.config
    report = await pull_configured(services.db, config)
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
                PeriodicJob(
                    "signups",
                    86_400,
                    partial(purge_stale_signups, app[SERVICES_KEY].subscribers),
                ),
            ]
        )

    def campaigns(app: web.Application) -> AbstractAsyncContextManager[object]:
        return app[SERVICES_KEY].campaigns.worker()

    def events(app: web.Application) -> AbstractAsyncContextManager[object]:
        services: HubServices = app[SERVICES_KEY]
        return events_worker(
            services.db,
            services.config,
            services.messenger,
            services.mail_wakeup,
            events=services.events,
        )

    def discord(app: web.Application) -> AbstractAsyncContextManager[object]:
        return running_bots(app[SERVICES_KEY])

    return create_app(
        config,
        background=[
            cleanup_ctx(jobs),
            cleanup_ctx(campaigns),
            cleanup_ctx(events),
            cleanup_ctx(discord),
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
