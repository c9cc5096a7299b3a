"""Periodic jobs run while their context is open, survive their failures, and stop with it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hub.scheduler import PeriodicJob, periodic


async def test_jobs_repeat_survive_failures_and_stop_when_the_context_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[str] = []

    async def counting() -> None:
        runs.append("ok")

    async def failing() -> None:
        runs.append("boom")
        raise RuntimeError("feed exploded")

    caplog.set_level(logging.ERROR, logger="hub.scheduler")
    async with periodic([PeriodicJob("count", 0.01, counting), PeriodicJob("fail", 0.01, failing)]):
        await asyncio.sleep(0.2)
    stopped_at = len(runs)
    await asyncio.sleep(0.05)

    assert runs.count("ok") >= 3 and runs.count("boom") >= 3
    assert len(runs) == stopped_at, "jobs kept running after the context ended"
    failures = [r for r in caplog.records if r.getMessage() == "job failed"]
    assert failures and all(r.__dict__["job"] == "fail" for r in failures)


async def test_jobs_stop_when_the_block_fails() -> None:
    runs: list[str] = []

    async def counting() -> None:
        runs.append("ok")

    with pytest.raises(RuntimeError, match="block failed"):
        async with periodic([PeriodicJob("count", 0.01, counting)]):
            await asyncio.sleep(0.05)
            raise RuntimeError("block failed")
    stopped_at = len(runs)
    await asyncio.sleep(0.05)
    assert stopped_at >= 1 and len(runs) == stopped_at
