"""Periodic background jobs, started and stopped with the web application's lifecycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger("hub.scheduler")

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


@dataclass(frozen=True)
class PeriodicJob:
    """`run(app)` now, then every `every_seconds`; a failure is logged and retried next time."""

    name: str
    every_seconds: float
    run: Callable[[web.Application], Awaitable[None]]


async def _repeat(app: web.Application, job: PeriodicJob) -> None:
    while True:
        try:
            await job.run(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job failed", extra={"job": job.name})
        await asyncio.sleep(job.every_seconds)


def periodic(jobs: Sequence[PeriodicJob]) -> CleanupContext:
    """A cleanup context running `jobs` for as long as the application lives."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_repeat(app, job), name=job.name) for job in jobs]
        log.info("scheduler started", extra={"jobs": ",".join(j.name for j in jobs)})
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        log.info("scheduler stopped")

    return context
