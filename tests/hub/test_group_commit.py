"""Group commit on a real SQLite file: jobs that arrive together share one transaction, each
in its own savepoint."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from hub.db import Database


@pytest.fixture
async def table(db: Database) -> Database:
    await db.conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, tx INTEGER)")
    return db


def insert(n: int, *, fail: bool = False):  # type: ignore[no-untyped-def]
    def job(conn: sqlite3.Connection) -> int:
        # `tx`: how many rows this job saw, which shows the order the jobs ran in.
        conn.execute("INSERT INTO t (n, tx) VALUES (?, (SELECT COUNT(*) FROM t))", (n,))
        if fail:
            raise ValueError(f"job {n} failed")
        return n * 10

    return job


async def rows(db: Database) -> list[tuple[int, int]]:
    async with db.conn.execute("SELECT n, tx FROM t ORDER BY n") as cursor:
        return [tuple(row) for row in await cursor.fetchall()]  # type: ignore[misc]


async def test_jobs_arriving_together_share_one_transaction(table: Database) -> None:
    statements: list[str] = []
    await table.group_commit.run(lambda conn: conn.set_trace_callback(statements.append))
    statements.clear()  # the end of the group that installed the trace
    results = await asyncio.gather(*(table.group_commit.run(insert(n)) for n in range(1, 6)))
    assert results == [10, 20, 30, 40, 50]
    assert statements.count("BEGIN IMMEDIATE") == statements.count("COMMIT") == 1
    assert statements.count("SAVEPOINT job") == 5
    # Each job saw the rows of the jobs before it: they ran one after another, in order.
    assert await rows(table) == [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)]


async def test_a_failing_job_undoes_only_itself(table: Database) -> None:
    outcomes = await asyncio.gather(
        table.group_commit.run(insert(1)),
        table.group_commit.run(insert(2, fail=True)),
        table.group_commit.run(insert(3)),
        return_exceptions=True,
    )
    assert outcomes[0] == 10 and outcomes[2] == 30
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "job 2 failed"
    assert await rows(table) == [(1, 0), (3, 1)]


async def test_a_caller_that_stops_waiting_does_not_stop_the_others(table: Database) -> None:
    gave_up = asyncio.ensure_future(table.group_commit.run(insert(1)))
    kept = asyncio.ensure_future(table.group_commit.run(insert(2)))
    await asyncio.sleep(0)
    gave_up.cancel()
    assert await kept == 20
    # The work of the caller who left was done anyway: it is one transaction with the rest.
    assert [n for n, _ in await rows(table)] == [1, 2]


async def test_later_jobs_go_in_a_later_group(table: Database) -> None:
    assert await table.group_commit.run(insert(1)) == 10
    assert await table.group_commit.run(insert(2)) == 20
    assert await rows(table) == [(1, 0), (2, 1)]
