"""Where a send stands, counted from the send log (the one record of who got what)."""

from __future__ import annotations

from collections.abc import Callable

from hub.campaigns.model import InDoubtBatch, Progress
from hub.db import Database

PROGRESS_EVERY_SECONDS = 0.25  # counting reads the whole log: a few times a second at most

ProgressCallback = Callable[[Progress], None]


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
