"""The send log: each recipient's and each batch's state, written around every provider call.

The audience is frozen into the send log when the send starts, cut into batches. Each batch is
written before its provider call (`submitting`, its recipients `submitted`) and after it
(`submitted` with each recipient `accepted` or `failed`, or the whole batch `failed`). A process
killed at any instant therefore leaves at most the batches it had in flight `submitting`: those
alone are in doubt, reported by number and size, and resent only when staff ask for it. A call
whose answer was lost (`BatchInDoubt`) leaves its batch so too, with the reason; one stopped
before anything left (`CancelledBeforeSending`, a shutdown) goes back to pending.

`freeze`, `requeue` and `take_next` run inside the caller's transaction (they are one step of
a larger decision); the others are whole steps and commit on their own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from hub.db import Database
from hub.mail import BatchInDoubt, Outcome
from hub.timeutil import utcnow

log = logging.getLogger("hub.campaigns")


@dataclass(frozen=True)
class TakenBatch:
    """A batch now `submitting`, with its recipients' rows as read in the same transaction."""

    id: int
    seq: int
    rows: list[aiosqlite.Row]


async def freeze(db: Database, campaign_id: int, list_key: str, batch_size: int, now: str) -> None:
    """The list's confirmed subscribers, as of now, become the campaign's audience, cut into
    batches of `batch_size`."""
    await db.execute(
        "send_log_freeze",
        {"campaign_id": campaign_id, "list": list_key, "batch_size": batch_size, "now": now},
    )
    await db.execute(
        "send_batches_create", {"campaign_id": campaign_id, "first_seq": 0, "now": now}
    )


async def requeue(db: Database, campaign_id: int, ids: list[int], batch_size: int) -> None:
    """Put these send-log rows back as pending, in new batches after the existing ones."""
    row = await db.fetch_one("send_batch_max_seq", _c(campaign_id))
    first_seq = (row["seq"] if row else -1) + 1
    now = utcnow()
    await db.execute_many(
        "send_log_requeue",
        (
            {"id": log_id, "seq": first_seq + i // batch_size, "now": now}
            for i, log_id in enumerate(ids)
        ),
    )
    await db.execute(
        "send_batches_create", {"campaign_id": campaign_id, "first_seq": first_seq, "now": now}
    )


async def take_next(db: Database, campaign_id: int, list_key: str) -> TakenBatch | None:
    """The next pending batch, marked `submitting` (its recipients who left the list since
    the freeze are skipped); None when none is left."""
    row = await db.fetch_one("send_batch_next", _c(campaign_id))
    if row is None:
        return None
    now = utcnow()
    params = {"campaign_id": campaign_id, "seq": row["seq"], "now": now}
    await db.execute(
        "send_batch_set",
        {"id": row["id"], "status": "submitting", "attempt": 1, "error": None, "now": now},
    )
    await db.execute("send_log_skip_departed", {**params, "list": list_key})
    await db.execute("send_log_submit", params)
    rows = await db.fetch_all("send_log_batch_recipients", params)
    return TakenBatch(row["id"], row["seq"], rows)


async def put_back(db: Database, campaign_id: int, batch: TakenBatch) -> None:
    """A batch nothing of which left (a shutdown while it waited to be sent): pending again,
    for whoever resumes the campaign, instead of in doubt."""
    now = utcnow()
    async with db.transaction():
        await db.execute(
            "send_log_unsubmit", {"campaign_id": campaign_id, "seq": batch.seq, "now": now}
        )
        await db.execute(
            "send_batch_set",
            {"id": batch.id, "status": "pending", "attempt": 0, "error": None, "now": now},
        )


async def record(
    db: Database, campaign_id: int, batch: TakenBatch, outcomes: Sequence[Outcome]
) -> None:
    """What the provider answered for each recipient; the batch is `submitted`."""
    now = utcnow()
    failures = [o for o in outcomes if not o.accepted]
    message_ids = {o.message_id for o in outcomes}
    async with db.transaction():
        if not failures and len(message_ids) == 1 and len(outcomes) == len(batch.rows):
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


async def record_in_doubt(
    db: Database, campaign_id: int, batch: TakenBatch, doubt: BatchInDoubt
) -> None:
    """The provider may have taken the batch: what is known is recorded, the rest stays
    `submitted` in a batch left `submitting`, in doubt (as after a crash), with the reason.
    Nothing resends it unless staff ask (`retry --in-doubt`)."""
    now = utcnow()
    log.warning(
        "batch in doubt",
        extra={
            "campaign": campaign_id,
            "batch": batch.seq,
            "recipients": len(batch.rows) - len(doubt.settled),
            "error": str(doubt),
        },
    )
    async with db.transaction():
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


async def record_rejected(db: Database, campaign_id: int, batch: TakenBatch, error: str) -> None:
    """The provider refused the whole batch: every recipient in it `failed`, with the reason."""
    now = utcnow()
    log.warning(
        "batch rejected",
        extra={
            "campaign": campaign_id,
            "batch": batch.seq,
            "recipients": len(batch.rows),
            "error": error,
        },
    )
    async with db.transaction():
        await db.execute(
            "send_log_fail_batch",
            {"campaign_id": campaign_id, "seq": batch.seq, "error": error, "now": now},
        )
        await db.execute(
            "send_batch_set",
            {"id": batch.id, "status": "failed", "attempt": 0, "error": error, "now": now},
        )


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
