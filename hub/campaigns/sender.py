"""Sending a campaign exactly once, through crashes.

The audience is frozen into the send log when the send starts, cut into batches, and every
batch is written before and after its provider call (`hub.campaigns.send_log` says how), so a
process killed at any instant leaves at most the batches it had in flight in doubt. One process
at a time sends a campaign, under a lease (`hub.campaigns.lease`). This module is the loop that
ties them: start, resume or retry a campaign, then send its batches until none is left, it is
paused or cancelled, or the process stops.

`owner_alive`, `new_owner`, `read_progress` and `LEASE_SECONDS` are re-exported from here, where
callers have always found them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from hub.campaigns import send_log
from hub.campaigns.errors import (
    Action,
    CampaignAlreadySent,
    CampaignBusy,
    CampaignStartedElsewhere,
    CampaignWrongStatus,
    ProviderRefused,
)
from hub.campaigns.lease import (
    LEASE_SECONDS,
    heartbeat,
    lease_until,
    new_owner,
    owner_alive,
    release,
)
from hub.campaigns.model import Campaign, CampaignStatus, Progress
from hub.campaigns.progress import PROGRESS_EVERY_SECONDS, ProgressCallback, read_progress
from hub.campaigns.send_log import TakenBatch
from hub.campaigns.store import get_campaign, require_audience
from hub.community.announce import queue_for_campaign
from hub.config import Config
from hub.db import Database
from hub.mail import (
    BatchInDoubt,
    BatchRejected,
    CancelledBeforeSending,
    Content,
    Messenger,
    Recipient,
)
from hub.timeutil import to_utc_text, utcnow
from hub.tokens import TokenSigner

__all__ = [
    "CONCURRENT_BATCHES",
    "LEASE_SECONDS",
    "BatchIdProvider",
    "ProgressCallback",
    "Sender",
    "new_owner",
    "owner_alive",
    "read_progress",
]

log = logging.getLogger("hub.campaigns")

CONCURRENT_BATCHES = 2  # provider calls in flight at once: hides the round-trip latency


@runtime_checkable
class BatchIdProvider(Protocol):
    """A backend that can group a campaign's sends under one id (SendGrid's batch_id)."""

    async def create_batch_id(self) -> str: ...


class Sender:
    """Sends campaigns through one messenger, on behalf of one process (`owner`)."""

    def __init__(
        self,
        db: Database,
        config: Config,
        messenger: Messenger,
        *,
        on_progress: ProgressCallback | None = None,
        owner: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.db = db
        self.config = config
        self.messenger = messenger
        self.on_progress = on_progress
        self.owner = owner or new_owner()
        self.lease_seconds = lease_seconds
        self.stopping = asyncio.Event()  # set on shutdown: finish the batches in flight, stop
        self._signer = TokenSigner.for_config(config)
        self._progress_at = float("-inf")
        self._base_url = config.web.base_url.rstrip("/")

    async def start(self, campaign_id: int) -> Progress:
        """Freeze the audience and send. Only a draft or scheduled campaign can start, and only
        to somebody (`EmptyAudienceError`: it stays as it was, its issue not marked sent)."""
        campaign = await get_campaign(self.db, campaign_id)
        if campaign.status not in ("draft", "scheduled"):
            raise CampaignWrongStatus(campaign_id, campaign.status, ("draft", "scheduled"), "start")
        await require_audience(self.db, self.config, campaign)  # before asking for a batch id
        batch_id = None
        if isinstance(self.messenger, BatchIdProvider):
            try:
                batch_id = await self.messenger.create_batch_id()
            except BatchRejected as exc:
                raise ProviderRefused(campaign_id, str(exc)) from None
        now = datetime.now(UTC)
        async with self.db.transaction() as db:
            current = await get_campaign(self.db, campaign_id)
            if current.status not in ("draft", "scheduled"):  # another process won the race
                raise CampaignStartedElsewhere(campaign_id)
            await self._refuse_an_issue_already_sent(current)
            await require_audience(db, self.config, current)  # the audience about to be frozen
            stamp = to_utc_text(now)
            await send_log.freeze(db, campaign_id, current.list, self._batch_size, stamp)
            await db.execute(
                "campaign_start",
                {
                    "id": campaign_id,
                    "provider_batch_id": batch_id,
                    "owner": self.owner,
                    "lease_until": lease_until(now, self.lease_seconds),
                    "now": stamp,
                },
            )
        progress = await read_progress(self.db, campaign_id)
        log.info(
            "campaign started",
            extra={
                "campaign": campaign_id,
                "audience": progress.audience,
                "backend": self.messenger.name,
            },
        )
        return await self._run(campaign_id)

    async def _refuse_an_issue_already_sent(self, campaign: Campaign) -> None:
        """Two campaigns of one issue (both created before either left) must not both send it:
        the one already sending, paused or sent is the one to continue."""
        other = await self.db.fetch_one(
            "campaign_issue_sent",
            {"edition": campaign.edition, "issue_number": campaign.issue_number},
        )
        if other is None:
            return
        raise CampaignAlreadySent(
            edition_name=self.config.edition(campaign.edition).name,
            issue_number=campaign.issue_number,
            sent_by=other["id"],
            sent_by_status=other["status"],
            campaign_id=campaign.id,
        )

    async def resume(self, campaign_id: int) -> Progress:
        """Go on with a paused campaign, or one whose sending process died."""
        await self.claim(campaign_id, ("paused", "sending"), "resume")
        return await self._run(campaign_id)

    async def retry(self, campaign_id: int, *, in_doubt: bool) -> Progress:
        """Send again to the failed recipients (and, if asked, to the in-doubt batches)."""
        await self.claim(campaign_id, ("paused", "sending", "sent"), "retry")
        try:
            async with self.db.transaction() as db:
                ids = [r["id"] for r in await db.fetch_all("send_log_failed_ids", _c(campaign_id))]
                if in_doubt:
                    rows = await db.fetch_all("send_log_in_doubt_ids", _c(campaign_id))
                    ids += [r["id"] for r in rows]
                    await db.execute(
                        "send_batches_close_in_doubt",
                        {
                            "campaign_id": campaign_id,
                            "error": "en doute ; destinataires renvoyés à la demande de l'équipe",
                            "now": utcnow(),
                        },
                    )
                await send_log.requeue(db, campaign_id, sorted(ids), self._batch_size)
        except BaseException:
            await release(self.db, campaign_id, self.owner)
            raise
        return await self._run(campaign_id)

    @property
    def _batch_size(self) -> int:
        return min(self.config.mail.batch_size, self.messenger.max_batch)

    async def claim(
        self, campaign_id: int, statuses: tuple[CampaignStatus, ...], action: Action = "resume"
    ) -> None:
        """Become the campaign's sending process, unless a live one already is."""
        now = datetime.now(UTC)
        async with self.db.transaction() as db:
            campaign = await get_campaign(self.db, campaign_id)
            if campaign.status not in statuses:
                raise CampaignWrongStatus(campaign_id, campaign.status, statuses, action)
            owner = campaign.owner
            if owner and owner != self.owner and owner_alive(owner, campaign.lease_until, now):
                raise CampaignBusy(campaign_id, owner)
            await db.execute(
                "campaign_claim",
                {
                    "id": campaign_id,
                    "owner": self.owner,
                    "lease_until": lease_until(now, self.lease_seconds),
                    "now": to_utc_text(now),
                },
            )

    async def _run(self, campaign_id: int) -> Progress:
        content = await self._content(campaign_id)
        beating = asyncio.create_task(
            heartbeat(self.db, campaign_id, self.owner, self.lease_seconds)
        )
        try:
            async with asyncio.TaskGroup() as workers:  # one failing stops the others
                for _ in range(CONCURRENT_BATCHES):
                    workers.create_task(self._worker(campaign_id, content))
            async with self.db.transaction() as db:
                left = await db.fetch_one("send_batch_next", _c(campaign_id))
                if left is None and not self.stopping.is_set():
                    await db.execute(
                        "campaign_finish", {"id": campaign_id, "owner": self.owner, "now": utcnow()}
                    )
                    # The issue's Discord announcements, in the same transaction (if now sent).
                    await queue_for_campaign(db, self.config, campaign_id)
        finally:
            beating.cancel()
            await asyncio.wait([beating])  # it never fails: its errors are logged there
            await _to_completion(release(self.db, campaign_id, self.owner))
        progress = await read_progress(self.db, campaign_id)
        log.info(
            "campaign progress",
            extra={
                "campaign": campaign_id,
                "accepted": progress.accepted,
                "failed": progress.failed,
                "skipped": progress.skipped,
                "pending": progress.pending,
                "in_doubt_recipients": progress.in_doubt_recipients,
            },
        )
        return progress

    async def _worker(self, campaign_id: int, content: Content) -> None:
        while not self.stopping.is_set():
            batch = await self._claim_batch(campaign_id, content)
            if batch is None:
                return
            taken, recipients = batch
            if not recipients:
                await send_log.record(self.db, campaign_id, taken, [])
                continue
            try:
                outcomes = await self.messenger.send(content, recipients)
            except CancelledBeforeSending:
                await _to_completion(send_log.put_back(self.db, campaign_id, taken))
                raise
            except BatchInDoubt as doubt:
                recording = send_log.record_in_doubt(self.db, campaign_id, taken, doubt)
            except BatchRejected as exc:
                recording = send_log.record_rejected(self.db, campaign_id, taken, str(exc))
            else:
                recording = send_log.record(self.db, campaign_id, taken, outcomes)
            await _to_completion(recording)
            await self._report_progress(campaign_id)

    async def _report_progress(self, campaign_id: int) -> None:
        """Tell the progress bar, at most a few times a second: counting reads the whole log."""
        now = asyncio.get_running_loop().time()
        if self.on_progress and now - self._progress_at >= PROGRESS_EVERY_SECONDS:
            self._progress_at = now
            self.on_progress(await read_progress(self.db, campaign_id))

    async def _claim_batch(
        self, campaign_id: int, content: Content
    ) -> tuple[TakenBatch, list[Recipient]] | None:
        """Take the next pending batch: after this commits, it is `submitting`."""
        async with self.db.transaction() as db:
            campaign = await get_campaign(self.db, campaign_id)
            if campaign.status != "sending" or campaign.owner != self.owner:
                return None  # paused, cancelled, or taken over
            taken = await send_log.take_next(db, campaign_id, campaign.list)
        if taken is None:
            return None
        return taken, [self._recipient(r, campaign.list) for r in taken.rows]

    def _recipient(self, row: Any, list_key: str) -> Recipient:
        subscriber_id, nonce = row["subscriber_id"], row["token_nonce"]  # read with the row
        return Recipient(
            email=row["email"],
            first_name=row["first_name"],
            unsubscribe_url=self._base_url
            + self._signer.path("unsubscribe", subscriber_id, list_key, nonce=nonce),
            preferences_url=self._base_url
            + self._signer.path("preferences", subscriber_id, nonce=nonce),
            send_log_id=row["id"],
        )

    async def _content(self, campaign_id: int) -> Content:
        row = await self.db.fetch_one("campaign_content", {"id": campaign_id})
        assert row is not None
        return Content(
            subject=row["subject"],
            html=row["html"],
            text=row["text"],
            category=row["edition"],
            campaign_id=campaign_id,
            provider_batch_id=row["provider_batch_id"],
        )


async def _to_completion(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to its end even if the task is cancelled meanwhile (the cancellation then goes
    on): what the provider answered must be written, or its batch would look in doubt."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


def _c(campaign_id: int) -> dict[str, int]:
    return {"campaign_id": campaign_id}
