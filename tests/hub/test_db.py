"""Storage: migrations recorded once, SQLite settings, named queries."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub.db import Database, migrations, parse_queries


async def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    db = await Database.open(path)
    assert await db.schema_version() == len(migrations())
    assert await db.upgrade() == []
    await db.close()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version, name FROM schema_version").fetchall()
        assert rows == [(v, n) for v, n, _ in migrations()]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_connection_settings(db: Database) -> None:
    async with db.conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1
    async with db.conn.execute("PRAGMA busy_timeout") as cur:
        assert (await cur.fetchone())[0] >= 5000


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.conn.execute(
                "INSERT INTO feeds (name, url) VALUES ('a', 'https://example.org/feed')"
            )
            raise RuntimeError("boom")
    async with db.conn.execute("SELECT COUNT(*) FROM feeds") as cur:
        assert (await cur.fetchone())[0] == 0


def test_named_queries_are_split_and_unique() -> None:
    text = "-- name: one\nSELECT 1;\n\n-- name: two\nSELECT 2;\n"
    assert parse_queries(text, "x.sql") == {"one": "SELECT 1;", "two": "SELECT 2;"}
    with pytest.raises(ValueError, match="defined twice"):
        parse_queries(text + "-- name: one\nSELECT 3;", "x.sql")


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    db = await Database.open(path)
    # As a newer hub records its schema: in the table and in the file's header.
    await db.conn.execute("INSERT INTO schema_version VALUES (999, 'future', '2030-01-01')")
    await db.conn.execute("PRAGMA user_version = 999")
    await db.close()
    from hub.db import StorageError

    with pytest.raises(StorageError, match="plus récent que ce hub"):
        await Database.open(path)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    from hub.db import StorageError

    path = tmp_path / "notes.sqlite3"
    path.write_text("ceci n'est pas une base de données " * 100)
    with pytest.raises(StorageError, match="bien la base SQLite du hub"):
        await Database.open(path)


async def test_concurrent_transactions_take_turns(db: Database) -> None:
    async def insert(name: str) -> None:
        async with db.transaction():
            await db.conn.execute(
                "INSERT INTO feeds (name, url) VALUES (?, 'https://example.org/')", (name,)
            )
            await asyncio.sleep(0.01)  # another coroutine gets the loop mid-transaction
            if name == "b":
                raise RuntimeError("b fails")

    results = await asyncio.gather(insert("a"), insert("b"), insert("c"), return_exceptions=True)
    assert [type(r) for r in results] == [type(None), RuntimeError, type(None)]
    async with db.conn.execute("SELECT name FROM feeds ORDER BY name") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["a", "c"]


def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    # Each process imports everything, then waits for the same instant to open the file.
    script = (
        "import asyncio, sys, time; from pathlib import Path; from hub.db import Database\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "async def main():\n"
        "    db = await Database.open(Path(sys.argv[1]))\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    for attempt in range(4):
        path = tmp_path / f"new-{attempt}.sqlite3"
        start = str(time.time() + 1.5)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(path), start], stderr=subprocess.PIPE
            )
            for _ in range(4)
        ]
        errors = [p.communicate(timeout=60)[1].decode() for p in processes]
        assert [p.returncode for p in processes] == [0] * 4, errors
        with sqlite3.connect(path) as conn:
            count = conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0]
            assert count == len(migrations())


def test_statements_are_split_like_sqlite_reads_them() -> None:
    from hub.db import split_statements

    sql = (
        "-- a comment; with a semicolon\nCREATE TABLE t (x TEXT DEFAULT 'a;b');\n\n"
        "CREATE INDEX i ON t (x);\n-- end\n"
    )
    assert split_statements(sql) == [
        "-- a comment; with a semicolon\nCREATE TABLE t (x TEXT DEFAULT 'a;b');",
        "CREATE INDEX i ON t (x);",
    ]


async def _feed_names(db: Database) -> list[str]:
    async with db.conn.execute("SELECT name FROM feeds ORDER BY name") as cur:
        return [r[0] for r in await cur.fetchall()]


async def test_a_stray_write_is_not_rolled_back_with_another_tasks_transaction(
    db: Database,
) -> None:
    """Task B writes with `execute` while task A's transaction is open; A then rolls back.
    B's write must stay: on the shared connection it would otherwise have joined A's."""
    a_open = asyncio.Event()
    stray: list[asyncio.Task[int]] = []

    async def a() -> None:
        async with db.transaction():
            await db.execute("upsert_feed", {"name": "a", "url": "https://example.org/a"})
            a_open.set()
            await asyncio.sleep(0)  # B starts its write now, mid-transaction
            await asyncio.wait(stray, timeout=0.5)  # done at once if it joined this transaction
            raise RuntimeError("a fails")

    async def b() -> None:
        await a_open.wait()
        stray.append(asyncio.create_task(db.execute("upsert_feed", {"name": "b", "url": "x"})))
        await stray[0]

    results = await asyncio.gather(a(), b(), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, type(None)]
    assert await _feed_names(db) == ["b"]


async def test_writes_inside_a_transaction_are_part_of_it(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("upsert_feed", {"name": "a", "url": "https://example.org/a"})
            await db.execute_many("upsert_feed", [{"name": "b", "url": "x"}])
            raise RuntimeError("boom")
    assert await _feed_names(db) == []


async def test_a_write_outside_a_transaction_is_its_own_transaction(db: Database) -> None:
    """`execute_many` alone is all or nothing: a row refused rolls back the rows before it."""
    rows = [{"name": "a", "url": "https://example.org/a"}, {"name": None, "url": "x"}]
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute_many("upsert_feed", rows)
    assert await _feed_names(db) == []
    assert await db.execute("upsert_feed", {"name": "c", "url": "x"}) > 0
    assert await _feed_names(db) == ["c"]
    assert not db.conn.in_transaction


async def test_a_task_started_inside_a_transaction_writes_within_it(db: Database) -> None:
    """Work the transaction's task hands to a task of its own (and awaits) is part of it, rolled
    back with it, rather than waiting for the lock that task holds (it would wait forever)."""
    with pytest.raises(RuntimeError):
        async with db.transaction():
            helper = asyncio.create_task(db.execute("upsert_feed", {"name": "a", "url": "x"}))
            await asyncio.wait_for(helper, timeout=5)
            raise RuntimeError("boom")
    assert await _feed_names(db) == []


async def test_opening_a_current_database_takes_no_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    await (await Database.open(path)).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock meanwhile
    try:
        db = await Database.open(path)  # would wait for the lock, then fail, if it took it
        assert (await db.conn.execute_fetchall("SELECT COUNT(*) FROM feeds"))[0][0] == 0
        await db.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


async def test_a_database_kept_busy_too_long_names_contention_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hub.busy
    import hub.db
    from hub.busy import DatabaseBusy

    path = tmp_path / "hub.sqlite3"
    await (await Database.open(path)).close()
    monkeypatch.setattr(hub.db, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(hub.busy, "BUSY_PATIENCE_S", 0.5)
    db = await Database.open(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy) as refused:
            async with db.transaction():
                await db.conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'https://x/')")
        message = str(refused.value)
        assert "occupée par d'autres processus" in message and "réessayez" in message
        assert "bien la base SQLite" not in message
        assert not db.conn.in_transaction
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    async with db.transaction():  # once the other is done, the same write goes through
        await db.conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'https://x/')")
    assert (await db.conn.execute_fetchall("SELECT COUNT(*) FROM feeds"))[0][0] == 1
    await db.close()


async def test_a_write_waits_for_another_process_and_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Busy past SQLite's own wait (shortened here): our retry waits its turn."""
    import hub.db

    path = tmp_path / "hub.sqlite3"
    await (await Database.open(path)).close()
    monkeypatch.setattr(hub.db, "BUSY_TIMEOUT_MS", 20)
    db = await Database.open(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    release = loop.call_later(0.5, lambda: (writer.execute("ROLLBACK"), writer.close()))
    try:
        async with db.transaction():
            await db.conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'https://x/')")
    finally:
        release.cancel()
    assert (await db.conn.execute_fetchall("SELECT COUNT(*) FROM feeds"))[0][0] == 1
    await db.close()
