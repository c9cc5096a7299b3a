"""`hub run`: the one long-running process — web app, feeds, campaign sends, the events' e-mails
and offers, and later the Discord bots."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from bots.wiring import discord_bots
from hub.campaigns.runner import campaigns_background
from hub.config import Config
from hub.events.background import events_background
from hub.mail.factory import make_messenger
from hub.scheduler import PeriodicJob, periodic
from hub.web import CONFIG_KEY, DB_KEY
from hub.web.app import create_app
from hub.web.serve import serve_until
from hub.web.subscriptions import purge_stale_signups
from newsletters.fetch import pull_configured

log = logging.getLogger("hub.process")

SHUTDOWN_GRACE_SECONDS = 3.0


async def pull_configured_feeds(app: web.Application) -> None:
    config = app[CONFIG_KEY]
    report = await pull_configured(app[DB_KEY], config)
    if config.feeds.sources and not report.any_read:
        log.warning("no feed could be read", extra={"feeds": len(config.feeds.sources)})


def build_app(config: Config) -> web.Application:
    """The web app with every background job of the hub attached to its lifecycle."""
    jobs = [
        PeriodicJob("feeds", config.feeds.pull_every_minutes * 60, pull_configured_feeds),
        PeriodicJob("signups", 86_400, purge_stale_signups),
    ]
    return create_app(
        config,
        background=[
            periodic(jobs),
            campaigns_background(DB_KEY, make_messenger, config),
            events_background(DB_KEY, make_messenger, config),
            discord_bots,
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
