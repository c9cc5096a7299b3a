"""Periodic background jobs: each runs now, then every so often, while its context is open.

`periodic` is a plain async context manager (no web framework here): `hub.process` adapts it to
the web application's lifecycle, as it does every background loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

log = logging.getLogger("hub.scheduler")


@dataclass(frozen=True)
class PeriodicJob:
    """`run()` now, then every `every_seconds`; a failure is logged and retried next time."""

    name: str
    every_seconds: float
    run: Callable[[], Awaitable[None]]


async def _repeat(job: PeriodicJob) -> None:
    while True:
        try:
            await job.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job failed", extra={"job": job.name})
        await asyncio.sleep(job.every_seconds)


@asynccontextmanager
async def periodic(jobs: Sequence[PeriodicJob]) -> AsyncIterator[None]:
    """Run `jobs` for as long as the block runs; they are cancelled when it ends."""
    tasks = [asyncio.create_task(_repeat(job), name=job.name) for job in jobs]
    log.info("scheduler started", extra={"jobs": ",".join(j.name for j in jobs)})
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        log.info("scheduler stopped")
