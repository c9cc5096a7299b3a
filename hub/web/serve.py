"""Serving an application until told to stop: shared by `hub run` and the draft preview."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from yarl import URL

from hub.config import WebConfig
from hub.errors import UserError
from hub.web.connections import HubRunner

# Connections waiting to be accepted: when registrations open, a crowd arrives at once, and a
# full queue makes the system drop connection attempts (retried a second later).
BACKLOG = 2048


async def serve_until(
    app: web.Application,
    host: str,
    port: int,
    *,
    on_ready: Callable[[str], None],
    stop: asyncio.Event,
    limits: WebConfig,
    shutdown_timeout: float = 3.0,
) -> None:
    """Listen on host:port until `stop` is set (or the task is cancelled), then clean up.

    `on_ready` receives the base URL once the socket listens; with port 0 it carries the port
    the system chose, so the caller can print it. `limits` are the slow-client timeouts and the
    connection cap (`hub.web.connections`).
    """
    runner = HubRunner(app, limits, handle_signals=False, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port, backlog=BACKLOG).start()
        except OSError as exc:
            raise UserError(
                f"impossible d'écouter sur {host}:{port} ({exc.strerror or exc}) : "
                "choisissez un autre port avec --port"
            ) from None
        bound_host, bound_port = runner.addresses[0][:2]
        on_ready(str(URL.build(scheme="http", host=bound_host, port=bound_port)))
        await stop.wait()
    finally:
        await runner.cleanup()
