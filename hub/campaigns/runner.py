"""Campaign sends inside `hub run`: scheduled ones start at their time, orphaned ones resume.

A campaign whose time passed while the hub was down starts when it comes back (the log says how
late); one left `sending` by a process that died is taken over. Sends run as tasks of the
process; on shutdown they finish the batches in flight, then stop, resumable.

`campaigns_worker` is a plain async context manager (no web framework here): `hub.process`
adapts it to the application's lifecycle, as it does every background loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from hub.campaigns.errors import CampaignError, EmptyAudienceError
from hub.campaigns.sender import Sender, owner_alive
from hub.config import Config
from hub.db import Database
from hub.mail import Messenger
from hub.timeutil import from_utc_text, to_utc_text

log = logging.getLogger("hub.campaigns")

CHECK_EVERY_SECONDS = 15.0
LATE_AFTER_SECONDS = 60.0
STOP_GRACE_SECONDS = 2.5


class CampaignRunner:
    def __init__(self, db: Database, config: Config, messenger: Messenger) -> None:
        self.sender = Sender(db, config, messenger)
        self.db = db
        self.tasks: dict[int, asyncio.Task[object]] = {}
        self._refused: dict[int, str] = {}  # campaign -> why it could not start (last said)

    async def tick(self) -> None:
        """Start what is due and take over what was orphaned."""
        now = datetime.now(UTC)
        for row in await self.db.fetch_all("campaign_due", {"now": to_utc_text(now)}):
            if row["id"] in self.tasks:
                continue  # started by the last check, not yet marked as sending
            scheduled = from_utc_text(row["scheduled_at"])
            assert scheduled is not None
            late = (now - scheduled).total_seconds()
            if late > LATE_AFTER_SECONDS:
                log.warning(
                    "campaign late",
                    extra={
                        "campaign": row["id"],
                        "scheduled_at": row["scheduled_at"],
                        "late_seconds": int(late),
                    },
                )
            self._spawn(row["id"], self.sender.start)
        for row in await self.db.fetch_all("campaign_sending"):
            if row["id"] in self.tasks or row["owner"] == self.sender.owner:
                continue
            if not owner_alive(row["owner"], from_utc_text(row["lease_until"]), now):
                log.warning(
                    "campaign resumed",
                    extra={"campaign": row["id"], "previous_owner": row["owner"]},
                )
                self._spawn(row["id"], self.sender.resume)

    def _spawn(self, campaign_id: int, action: Callable[[int], Awaitable[object]]) -> None:
        if campaign_id in self.tasks:
            return

        async def run() -> object:
            try:
                return await action(campaign_id)
            except EmptyAudienceError as exc:  # stays scheduled: retried at each check
                if self._refused.get(campaign_id) != str(exc):  # said once, not every check
                    log.warning(
                        "campaign not sent", extra={"campaign": campaign_id, "reason": str(exc)}
                    )
                self._refused[campaign_id] = str(exc)
            except CampaignError as exc:  # another process got there first, or it was cancelled
                log.info("campaign not sent", extra={"campaign": campaign_id, "reason": str(exc)})
            except Exception:
                log.exception("campaign send failed", extra={"campaign": campaign_id})
            finally:
                self.tasks.pop(campaign_id, None)
            return None

        self.tasks[campaign_id] = asyncio.create_task(run(), name=f"campaign-{campaign_id}")

    async def stop(self) -> None:
        """Let the batches in flight finish (their outcome gets recorded), then stop."""
        self.sender.stopping.set()
        tasks = list(self.tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        for task in pending:
            with suppress(asyncio.CancelledError):
                await task


@asynccontextmanager
async def campaigns_worker(
    db: Database, config: Config, messenger: Messenger
) -> AsyncIterator[CampaignRunner]:
    """The campaign runner checking every `CHECK_EVERY_SECONDS` for as long as the block runs;
    on leaving it, the sends in flight finish their batches, then stop (resumable). A plain
    async context manager: `hub.process` ties it to the application's lifecycle. The
    messenger stays the caller's to close."""
    runner = CampaignRunner(db, config, messenger)

    async def loop() -> None:
        while True:
            try:
                await runner.tick()
            except Exception:
                log.exception("campaign check failed")
            await asyncio.sleep(CHECK_EVERY_SECONDS)

    checker = asyncio.create_task(loop(), name="campaigns")
    try:
        yield runner
    finally:
        checker.cancel()
        with suppress(asyncio.CancelledError):
            await checker
        await runner.stop()
