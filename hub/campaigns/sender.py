"""Sending a campaign exactly once, through crashes.

The audience is frozen into the send log when the send starts, cut into batches. Each batch is
written before its provider call (`submitting`, its recipients `submitted`) and after it
(`submitted` with each recipient `accepted` or `failed`, or the whole batch `failed`). A process
killed at any instant therefore leaves at most the batches it had in flight `submitting`: those
alone are in doubt, reported by number and size, and resent only when staff ask for it. A call
whose answer was lost (`BatchInDoubt`) leaves its batch so too, with the reason; one stopped
before anything left (`CancelledBeforeSending`, a shutdown) goes back to pending.

One process at a time sends a campaign: it owns it (`owner`, host:pid:nonce) under a lease it
renews. Another process takes over only when the owner is gone: its lease has expired, or, on
this host, its process is dead (or is an earlier process whose pid this one reuses).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from hub.campaigns.model import STATUS_LABELS, Campaign, CampaignError, InDoubtBatch, Progress
from hub.campaigns.service import get_campaign, require_audience
from hub.config import Config
from hub.db import Database
from hub.mail import (
    BatchInDoubt,
    BatchRejected,
    CancelledBeforeSending,
    Content,
    Messenger,
    Outcome,
    Recipient,
)
from hub.timeutil import to_utc_text, utcnow
from hub.tokens import TokenSigner

log = logging.getLogger("hub.campaigns")

LEASE_SECONDS = 30
CONCURRENT_BATCHES = 2  # provider calls in flight at once: hides the round-trip latency
PROGRESS_EVERY_SECONDS = 0.25

ProgressCallback = Callable[[Progress], None]


@runtime_checkable
class BatchIdProvider(Protocol):
    """A backend that can group a campaign's sends under one id (SendGrid's batch_id)."""

    async def create_batch_id(self) -> str: ...


_OWNERS_HERE: set[str] = set()  # every owner this process made


def new_owner() -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    _OWNERS_HERE.add(owner)
    return owner


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not reaped yet still answers kill(0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def owner_alive(owner: str | None, lease_until: datetime | None, now: datetime) -> bool:
    """Whether another sender still sends. Its lease must run (a live one renews it); on this
    host its process must live too, so a crash frees the campaign at once. Our own pid under an
    owner this process never made is a previous process whose pid we got again (a container
    restarts with the same pids): gone."""
    if not owner or lease_until is None or lease_until <= now:
        return False
    host, pid, _ = owner.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return owner in _OWNERS_HERE
    return _pid_alive(int(pid))


async def read_progress(db: Database, campaign_id: int) -> Progress:
    row = await db.fetch_one("send_progress", {"campaign_id": campaign_id})
    doubt = await db.fetch_all("send_batches_in_doubt", {"campaign_id": campaign_id})
    assert row is not None
    return Progress(
        audience=row["audience"],
        accepted=row["accepted"],
        failed=row["failed"],
        skipped=row["skipped"],
        pending=row["pending"],
        submitted=row["submitted"],
        in_doubt=tuple(InDoubtBatch(r["seq"], r["recipients"], r["error"]) for r in doubt),
    )


@dataclass(frozen=True)
class _Batch:
    id: int
    seq: int
    recipients: list[Recipient]


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
            raise CampaignError(
                f"la campagne {campaign_id} est {campaign.status_label} : seule une campagne "
                "en brouillon ou programmée peut partir (voir « hub campaign resume » ou "
                "« hub campaign retry »)"
            )
        await require_audience(self.db, self.config, campaign)  # before asking for a batch id
        batch_id = None
        if isinstance(self.messenger, BatchIdProvider):
            try:
                batch_id = await self.messenger.create_batch_id()
            except BatchRejected as exc:
                raise CampaignError(
                    f"la campagne {campaign_id} n'est pas partie (personne ne l'a reçue) : {exc}"
                ) from None
        now = datetime.now(UTC)
        async with self.db.transaction() as db:
            current = await get_campaign(self.db, campaign_id)
            if current.status not in ("draft", "scheduled"):  # another process won the race
                raise CampaignError(f"la campagne {campaign_id} vient d'être lancée ailleurs")
            await self._refuse_an_issue_already_sent(current)
            await require_audience(db, self.config, current)  # the audience about to be frozen
            stamp = to_utc_text(now)
            await db.execute(
                "send_log_freeze",
                {
                    "campaign_id": campaign_id,
                    "list": current.list,
                    "batch_size": self._batch_size,
                    "now": stamp,
                },
            )
            await db.execute(
                "send_batches_create", {"campaign_id": campaign_id, "first_seq": 0, "now": stamp}
            )
            await db.execute(
                "campaign_start",
                {
                    "id": campaign_id,
                    "provider_batch_id": batch_id,
                    "owner": self.owner,
                    "lease_until": self._lease_until(now),
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
        name = self.config.edition(campaign.edition).name
        raise CampaignError(
            f"le n°{campaign.issue_number} de « {name} » est déjà parti avec la campagne "
            f"{other['id']} ({STATUS_LABELS[other['status']]}) : la campagne {campaign.id} ne "
            "part pas, pour que personne ne le reçoive deux fois. Pour continuer celle qui "
            f"l'envoie : « hub campaign resume {other['id']} » (en pause ou interrompue) ou "
            f"« hub campaign retry {other['id']} » (échecs) ; « hub campaign cancel "
            f"{campaign.id} » retire celle-ci"
        )

    async def resume(self, campaign_id: int) -> Progress:
        """Go on with a paused campaign, or one whose sending process died."""
        await self.claim(campaign_id, ("paused", "sending"))
        return await self._run(campaign_id)

    async def retry(self, campaign_id: int, *, in_doubt: bool) -> Progress:
        """Send again to the failed recipients (and, if asked, to the in-doubt batches)."""
        await self.claim(campaign_id, ("paused", "sending", "sent"))
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
                await self._requeue(campaign_id, sorted(ids))
        except BaseException:
            await self._release(campaign_id)
            raise
        return await self._run(campaign_id)

    @property
    def _batch_size(self) -> int:
        return min(self.config.mail.batch_size, self.messenger.max_batch)

    async def _requeue(self, campaign_id: int, ids: list[int]) -> None:
        row = await self.db.fetch_one("send_batch_max_seq", _c(campaign_id))
        first_seq = (row["seq"] if row else -1) + 1
        now = utcnow()
        size = self._batch_size
        await self.db.execute_many(
            "send_log_requeue",
            (
                {"id": log_id, "seq": first_seq + i // size, "now": now}
                for i, log_id in enumerate(ids)
            ),
        )
        await self.db.execute(
            "send_batches_create", {"campaign_id": campaign_id, "first_seq": first_seq, "now": now}
        )

    async def claim(self, campaign_id: int, statuses: tuple[str, ...]) -> None:
        """Become the campaign's sending process, unless a live one already is."""
        now = datetime.now(UTC)
        async with self.db.transaction() as db:
            campaign = await get_campaign(self.db, campaign_id)
            if campaign.status not in statuses:
                raise CampaignError(
                    f"la campagne {campaign_id} est {campaign.status_label} : "
                    f"action possible seulement si elle est "
                    f"{' ou '.join(STATUS_LABELS[s] for s in statuses)}"
                )
            owner = campaign.owner
            if owner != self.owner and owner_alive(owner, campaign.lease_until, now):
                raise CampaignError(
                    f"la campagne {campaign_id} est déjà en cours d'envoi par un autre processus "
                    f"({owner}) : attendez la fin, ou « hub campaign pause {campaign_id} »"
                )
            await db.execute(
                "campaign_claim",
                {
                    "id": campaign_id,
                    "owner": self.owner,
                    "lease_until": self._lease_until(now),
                    "now": to_utc_text(now),
                },
            )

    async def _run(self, campaign_id: int) -> Progress:
        content = await self._content(campaign_id)
        heartbeat = asyncio.create_task(self._heartbeat(campaign_id))
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
        finally:
            heartbeat.cancel()
            await asyncio.wait([heartbeat])  # it never fails: its errors are logged there
            await _to_completion(self._release(campaign_id))
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

    def _lease_until(self, now: datetime) -> str:
        return to_utc_text(now + timedelta(seconds=self.lease_seconds))

    async def _release(self, campaign_id: int) -> None:
        """Let the next process take over at once; if this fails, the lease runs out."""
        try:
            await self.db.execute("campaign_release", {"id": campaign_id, "owner": self.owner})
        except Exception:
            log.exception("campaign release failed", extra={"campaign": campaign_id})

    async def _heartbeat(self, campaign_id: int) -> None:
        """Renew the lease a few times per lease; a failed renewal (database busy…) is logged
        and retried at the next beat, never stops the send."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.db.execute(
                    "campaign_renew_lease",
                    {
                        "id": campaign_id,
                        "owner": self.owner,
                        "lease_until": self._lease_until(datetime.now(UTC)),
                    },
                )
            except Exception:
                log.exception("lease renewal failed", extra={"campaign": campaign_id})

    async def _worker(self, campaign_id: int, content: Content) -> None:
        while not self.stopping.is_set():
            batch = await self._claim_batch(campaign_id, content)
            if batch is None:
                return
            if not batch.recipients:
                await self._record(campaign_id, batch, [])
                continue
            try:
                outcomes = await self.messenger.send(content, batch.recipients)
            except CancelledBeforeSending:
                await _to_completion(self._put_back(campaign_id, batch))
                raise
            except BatchInDoubt as doubt:
                recording = self._record_in_doubt(campaign_id, batch, doubt)
            except BatchRejected as exc:
                recording = self._record_rejected(campaign_id, batch, str(exc))
            else:
                recording = self._record(campaign_id, batch, outcomes)
            await _to_completion(recording)
            await self._report_progress(campaign_id)

    async def _report_progress(self, campaign_id: int) -> None:
        """Tell the progress bar, at most a few times a second: counting reads the whole log."""
        now = asyncio.get_running_loop().time()
        if self.on_progress and now - self._progress_at >= PROGRESS_EVERY_SECONDS:
            self._progress_at = now
            self.on_progress(await read_progress(self.db, campaign_id))

    async def _claim_batch(self, campaign_id: int, content: Content) -> _Batch | None:
        """Take the next pending batch: after this commits, it is `submitting`."""
        async with self.db.transaction() as db:
            campaign = await get_campaign(self.db, campaign_id)
            if campaign.status != "sending" or campaign.owner != self.owner:
                return None  # paused, cancelled, or taken over
            row = await db.fetch_one("send_batch_next", _c(campaign_id))
            if row is None:
                return None
            now = utcnow()
            params = {"campaign_id": campaign_id, "seq": row["seq"], "now": now}
            await db.execute(
                "send_batch_set",
                {"id": row["id"], "status": "submitting", "attempt": 1, "error": None, "now": now},
            )
            await db.execute("send_log_skip_departed", {**params, "list": campaign.list})
            await db.execute("send_log_submit", params)
            rows = await db.fetch_all("send_log_batch_recipients", params)
        return _Batch(row["id"], row["seq"], [self._recipient(r, campaign.list) for r in rows])

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

    async def _put_back(self, campaign_id: int, batch: _Batch) -> None:
        """A batch nothing of which left (a shutdown while it waited to be sent): pending again,
        for whoever resumes the campaign, instead of in doubt."""
        now = utcnow()
        async with self.db.transaction() as db:
            await db.execute(
                "send_log_unsubmit", {"campaign_id": campaign_id, "seq": batch.seq, "now": now}
            )
            await db.execute(
                "send_batch_set",
                {"id": batch.id, "status": "pending", "attempt": 0, "error": None, "now": now},
            )

    async def _record(self, campaign_id: int, batch: _Batch, outcomes: list[Outcome]) -> None:
        now = utcnow()
        failures = [o for o in outcomes if not o.accepted]
        message_ids = {o.message_id for o in outcomes}
        async with self.db.transaction() as db:
            if not failures and len(message_ids) == 1 and len(outcomes) == len(batch.recipients):
                await db.execute(
                    "send_log_accept_batch",
                    {
                        "campaign_id": campaign_id,
                        "seq": batch.seq,
                        "message_id": message_ids.pop(),
                        "now": now,
                    },
                )
            else:
                await _record_outcomes(db, outcomes, now)
            error = f"{len(failures)} destinataire(s) refusé(s)" if failures else None
            await db.execute(
                "send_batch_set",
                {"id": batch.id, "status": "submitted", "attempt": 0, "error": error, "now": now},
            )

    async def _record_in_doubt(self, campaign_id: int, batch: _Batch, doubt: BatchInDoubt) -> None:
        """The provider may have taken the batch: what is known is recorded, the rest stays
        `submitted` in a batch left `submitting`, in doubt (as after a crash), with the reason.
        Nothing resends it unless staff ask (`retry --in-doubt`)."""
        now = utcnow()
        log.warning(
            "batch in doubt",
            extra={
                "campaign": campaign_id,
                "batch": batch.seq,
                "recipients": len(batch.recipients) - len(doubt.settled),
                "error": str(doubt),
            },
        )
        async with self.db.transaction() as db:
            await _record_outcomes(db, doubt.settled, now)
            await db.execute(
                "send_batch_set",
                {
                    "id": batch.id,
                    "status": "submitting",
                    "attempt": 0,
                    "error": str(doubt),
                    "now": now,
                },
            )

    async def _record_rejected(self, campaign_id: int, batch: _Batch, error: str) -> None:
        now = utcnow()
        log.warning(
            "batch rejected",
            extra={
                "campaign": campaign_id,
                "batch": batch.seq,
                "recipients": len(batch.recipients),
                "error": error,
            },
        )
        async with self.db.transaction() as db:
            await db.execute(
                "send_log_fail_batch",
                {"campaign_id": campaign_id, "seq": batch.seq, "error": error, "now": now},
            )
            await db.execute(
                "send_batch_set",
                {"id": batch.id, "status": "failed", "attempt": 0, "error": error, "now": now},
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


async def _record_outcomes(db: Database, outcomes: Sequence[Outcome], now: str) -> None:
    await db.execute_many(
        "send_log_result",
        (
            {
                "id": o.recipient.send_log_id,
                "status": "accepted" if o.accepted else "failed",
                "message_id": o.message_id,
                "error": o.error,
                "now": now,
            }
            for o in outcomes
        ),
    )


def _c(campaign_id: int) -> dict[str, int]:
    return {"campaign_id": campaign_id}
