"""Work started by handlers after their answer: waited for when the hub stops, within a grace."""

from __future__ import annotations

import asyncio

import pytest

from hub.web.tasks import BackgroundTasks


async def test_stopping_waits_for_running_work_and_cancels_what_outlives_the_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks()
    done: list[str] = []
    proceed = asyncio.Event()

    async def finishes() -> None:
        await proceed.wait()
        done.append("notice")

    async def never_ends() -> None:
        await asyncio.Event().wait()

    tasks.start(finishes(), name="finishes")
    tasks.start(never_ends(), name="stuck")
    proceed.set()

    await tasks.drain(grace_seconds=0.5)

    assert done == ["notice"]
    assert [r.task for r in caplog.records] == ["stuck"]  # type: ignore[attr-defined]
    assert caplog.records[0].getMessage() == "background task cancelled at shutdown"
    await tasks.drain(grace_seconds=0.5)  # nothing left: returns at once
