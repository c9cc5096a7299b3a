"""How often codes may be asked for: a tiny interface, so the hub's generic rate limiter can
replace this SQLite counter without touching the identification service."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from hub.db import Database


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, now: datetime) -> bool:
        """Count one use of `key`; False once it was used more than `limit` times this hour."""
        ...


class HourlyCounter:
    """Per-key counts per clock hour in `discord_code_requests` (counted in the database, so
    two processes and a restart share them)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def hit(self, key: str, limit: int, now: datetime) -> bool:
        hour = now.strftime("%Y-%m-%dT%H")
        async with self.db.transaction():
            row = await self.db.fetch_one("discord_code_request_count", {"key": key, "hour": hour})
            previous = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H")
            await self.db.execute("discord_code_requests_prune", {"hour": previous})
        return row is not None and row["count"] <= limit
