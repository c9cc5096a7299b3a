"""Rate limiting keyed by anything: an IP address on the web, a Discord user id in the bots.

A request is counted against its key's current hour (UTC); past the limit it is refused until
the next hour. Only the current hour is kept. The count is a small write of the group commit
(`Database.group_commit`): a crowd is counted in a few transactions, rather than one each
queued behind the shared connection's lock and waiting on SQLite's for the group commit's.

Keys share one table, so a channel or a form prefixes its own (e.g. "evenement 192.0.2.7",
"discord 81234567890123456") when its limit must not be shared with another's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from hub.db import Database


def _now() -> datetime:
    return datetime.now(UTC)


class RateLimiter:
    """Counts requests per key and hour in the database (they survive a restart, and every
    process sharing the database counts together)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = _now) -> None:
        self.db = db
        self._clock = clock

    async def allow(self, key: str, limit: int) -> bool:
        """Count this request against `key`'s hour; False past `limit` requests in it (the
        refused requests are counted too: hammering does not reopen the door)."""
        hour = self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H")
        prune, count = self.db.sql("signup_attempts_prune"), self.db.sql("signup_attempt_count")

        def counted(conn: sqlite3.Connection) -> int:
            conn.execute(prune, {"hour": hour})
            return int(conn.execute(count, {"ip": key, "hour": hour}).fetchone()["count"])

        return await self.db.group_commit.run(counted) <= limit
