"""Work a handler starts after its answer (an e-mail to send), tracked by the application.

A one-click unsubscription must answer at once (RFC 8058: the mail client is waiting), but the
notice it sends takes a relay's time. The handler hands the sending to `BackgroundTasks`; the
application's cleanup context `background_tasks` waits for what is still running when the hub
stops (within a grace period), so a notice is not silently dropped by a restart. A failure is
the task's own to log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import suppress
from typing import Any

from aiohttp import web

log = logging.getLogger("hub.web.tasks")

STOP_GRACE_SECONDS = 2.5  # within hub run's shutdown grace


class BackgroundTasks:
    """The tasks started by handlers and not finished yet."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._running.add(task)  # a strong reference: an unreferenced task may be collected
        task.add_done_callback(self._running.discard)

    async def drain(self, grace_seconds: float) -> None:
        """Wait for the running tasks, then cancel those still running after the grace."""
        if not self._running:
            return
        _, late = await asyncio.wait(set(self._running), timeout=grace_seconds)
        for task in late:
            log.warning("background task cancelled at shutdown", extra={"task": task.get_name()})
            task.cancel()
        for task in late:
            with suppress(asyncio.CancelledError):
                await task


BACKGROUND_TASKS = web.AppKey("background_tasks", BackgroundTasks)


async def background_tasks(app: web.Application) -> AsyncIterator[None]:
    """The cleanup context that gives the application its `BackgroundTasks`."""
    tasks = BackgroundTasks()
    app[BACKGROUND_TASKS] = tasks
    yield
    await tasks.drain(STOP_GRACE_SECONDS)
