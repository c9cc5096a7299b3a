"""The rate limiter on a real SQLite file, keyed the way the bots will key it (a Discord
user id) as well as by IP: per key, per hour, counted in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.db import Database
from hub.ratelimit import RateLimiter

DISCORD_USER = "discord 81234567890123456"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 10, 59, 58, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_key_is_refused_past_its_limit_and_others_are_not(db: Database) -> None:
    limiter = RateLimiter(db, clock=Clock())
    assert [await limiter.allow(DISCORD_USER, 3) for _ in range(4)] == [True, True, True, False]
    assert not await limiter.allow(DISCORD_USER, 3)  # refusals count too
    assert await limiter.allow("discord 99999999999999999", 3)
    assert await limiter.allow("192.0.2.7", 3)


async def test_the_count_is_kept_in_the_database_for_the_hour_only(db: Database) -> None:
    clock = Clock()
    assert await RateLimiter(db, clock=clock).allow(DISCORD_USER, 2)
    assert await RateLimiter(db, clock=clock).allow(DISCORD_USER, 2)
    # Another limiter (another channel, or a restarted process) sees the same count.
    assert not await RateLimiter(db, clock=clock).allow(DISCORD_USER, 2)
    async with db.conn.execute("SELECT ip, hour, count FROM signup_attempts") as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [
            (DISCORD_USER, "2026-12-05T10", 3)
        ]

    clock.now += timedelta(seconds=3)  # the next hour
    assert await RateLimiter(db, clock=clock).allow(DISCORD_USER, 2)
    async with db.conn.execute("SELECT ip, hour, count FROM signup_attempts") as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [
            (DISCORD_USER, "2026-12-05T11", 1)
        ]
