"""A wake-up call for a background worker: "rows are waiting, look now".

Services that queue work for a worker (event e-mails, Discord posts) write the row in their own
transaction, then call `notify()`; the worker sleeps on `wait()` between its periodic checks. A
notification is only a hint: the rows are the truth, so a lost one costs at most one check
period, and a worker that is not running (a CLI command) loses nothing.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Called after the commit that queued the work (never before: the worker would look
        too early and find nothing)."""
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """Sleep until notified or `timeout` seconds passed; True when notified. The
        notification is consumed, so the next wait sleeps again."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout=timeout)
        notified = self._event.is_set()
        self._event.clear()
        return notified
