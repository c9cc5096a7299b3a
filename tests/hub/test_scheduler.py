"""Periodic jobs live and die with the web application."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.scheduler import PeriodicJob, periodic


async def test_jobs_repeat_survive_failures_and_stop_with_the_app(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[str] = []

    async def counting(app: web.Application) -> None:
        runs.append("ok")

    async def failing(app: web.Application) -> None:
        runs.append("boom")
        raise RuntimeError("feed exploded")

    app = web.Application()
    app.cleanup_ctx.append(
        periodic([PeriodicJob("count", 0.01, counting), PeriodicJob("fail", 0.01, failing)])
    )
    caplog.set_level(logging.ERROR, logger="hub.scheduler")
    async with TestServer(app):
        await asyncio.sleep(0.2)
    stopped_at = len(runs)
    await asyncio.sleep(0.05)

    assert runs.count("ok") >= 3 and runs.count("boom") >= 3
    assert len(runs) == stopped_at, "jobs kept running after the app stopped"
    failures = [r for r in caplog.records if r.getMessage() == "job failed"]
    assert failures and all(r.__dict__["job"] == "fail" for r in failures)
