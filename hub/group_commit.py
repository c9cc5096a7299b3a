"""Group commit: many small write jobs arriving together run in one SQLite transaction.

A burst of registrations (2,000 people at the opening of the Journées Nationales) would
otherwise queue for one write transaction each, with a dozen trips between the event loop and
SQLite's thread per person. Here the jobs that arrive while a group is being written wait for
the next group; each group is one `BEGIN IMMEDIATE … COMMIT` on a connection of its own, in a
thread of its own, every job inside a SAVEPOINT so that one job's failure undoes only that job.
Jobs are plain functions of a `sqlite3.Connection`: they run in that thread, start to finish.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from hub.busy import retry_busy

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
MAX_GROUP = 500  # jobs per transaction: bounds how long other writers wait


class GroupCommit:
    def __init__(self, path: Path, pragmas: Sequence[str]) -> None:
        self._path = path
        self._pragmas = pragmas
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-group-commit")
        self._conn: sqlite3.Connection | None = None
        self._waiting: list[tuple[Job, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run `job` in the next group's transaction; its result, or its exception."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((job, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups(), name="group-commit")
        return await future

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)

    async def _write_groups(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            jobs = [job for job, _ in group]
            try:
                # A group that meets a busy database is rolled back whole: it is tried again.
                write = partial(loop.run_in_executor, self._executor, self._write, jobs)
                outcomes = await retry_busy(self._path, write)
            except Exception as exc:  # the transaction itself failed: every job with it
                outcomes = [(False, exc)] * len(group)
            for (_, future), (ok, value) in zip(group, outcomes, strict=True):
                if future.done():  # its caller gave up waiting; the work is done anyway
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            for pragma in self._pragmas:
                conn.execute(f"PRAGMA {pragma}")
            self._conn = conn
        return self._conn

    def _write(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        conn = self._connection()
        outcomes: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for job in jobs:
                conn.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, job(conn)))
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    outcomes.append((False, exc))
                conn.execute("RELEASE job")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return outcomes

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
