"""SQLite storage: one connection per process, migrations, and named queries kept in SQL files.

Like listmonk, each domain keeps its SQL in `hub/sql/<domain>.sql`, split by `-- name: …`
markers, so queries are read and reviewed as SQL rather than scattered through Python.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from hub.busy import DatabaseBusy, is_busy, retry_busy
from hub.errors import UserError
from hub.files import create_private_file
from hub.group_commit import GroupCommit
from hub.timeutil import utcnow

_NAME_MARKER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Params = Mapping[str, Any] | None
T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000
# SQLite's integers are 64-bit: a larger Python int raises OverflowError when bound.
SQLITE_MIN_INT, SQLITE_MAX_INT = -(2**63), 2**63 - 1
CACHE_KIB = 64 * 1024
WAL_CHECKPOINT_PAGES = 10_000  # ~40 MB


def connection_pragmas() -> tuple[str, ...]:
    """Every connection of ours: others wait for a lock rather than fail, foreign keys are
    enforced, WAL commits without an fsync each, and a page cache sized for sends and imports."""
    return (
        f"busy_timeout = {BUSY_TIMEOUT_MS}",
        "foreign_keys = ON",
        "synchronous = NORMAL",
        f"cache_size = -{CACHE_KIB}",
    )


# The transaction the running task is inside (a marker `Database.transaction` sets): tasks have
# their own context, so another task's open transaction is never mistaken for the caller's.
_CURRENT_TRANSACTION: ContextVar[object | None] = ContextVar("hub_db_transaction", default=None)


class StorageError(UserError):
    """The database cannot be opened or upgraded; the message says what to do."""


def parse_queries(text: str, source: str) -> dict[str, str]:
    """Split a SQL file into its named queries."""
    parts = _NAME_MARKER.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"{source}: query {name!r} is defined twice")
        queries[name] = body.strip()
    return queries


def load_queries() -> dict[str, str]:
    """Every named query of every domain file, by name (names are unique across files)."""
    queries: dict[str, str] = {}
    for entry in sorted(resources.files("hub").joinpath("sql").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        for name, sql in parse_queries(entry.read_text(encoding="utf-8"), entry.name).items():
            if name in queries:
                raise ValueError(f"{entry.name}: query {name!r} is already defined in another file")
            queries[name] = sql
    return queries


def split_statements(sql: str) -> list[str]:
    """The statements of a SQL script, so a migration runs inside a transaction of ours
    (`executescript` would commit it first)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer.strip()!r}")
    return statements


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped with the hub: (version, name, sql), in order."""
    found = []
    for entry in resources.files("hub").joinpath("migrations").iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3… without gaps, found {versions}")
    return found


class Database:
    """An open hub database. Use `Database.open()`; queries are called by name."""

    _queries: dict[str, str] | None = None

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        self._open_transaction: object | None = None  # the marker of the transaction open now
        self._group_commit: GroupCommit | None = None
        if Database._queries is None:
            Database._queries = load_queries()
        self.queries = Database._queries

    @classmethod
    async def open(cls, path: Path, *, migrate: bool = True) -> Database:
        """Open (or create, private: 0600 in a 0700 folder) and, if due, migrate the database.

        Opening writes nothing when the schema is current, so a crowd of processes opening it
        at once does not queue for the write lock; a busy database is waited for, and an error
        that remains names contention, not the file.
        """
        try:
            # SQLite gives the -wal and -shm files the mode of the database file.
            create_private_file(path)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(
                f"impossible d'ouvrir la base {path} ({exc}) : vérifiez le dossier de données "
                "(data_dir, HUB_DATA_DIR)"
            ) from None
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path)
        try:
            # Settings and reads only: what meets a busy database changed nothing, so it is
            # tried again (a crowd opening at once meets the last one's checkpoint).
            await retry_busy(path, db._configure)
            if migrate:
                await db.upgrade()
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, sqlite3.DatabaseError) and is_busy(exc):
                raise DatabaseBusy(path) from None
            if isinstance(exc, sqlite3.DatabaseError):
                raise StorageError(
                    f"impossible d'utiliser la base {path} ({exc}) : vérifiez que ce fichier "
                    "est bien la base SQLite du hub (HUB_DATA_DIR)"
                ) from None
            raise
        return db

    async def _configure(self) -> None:
        """The connection's settings, and WAL once: when the file already is, nothing is asked
        of others. (SQLite answers "database is locked" at once, without calling the busy
        handler, when two connections first open a new file together: the caller retries.)"""
        for pragma in connection_pragmas():  # busy_timeout first: others wait from now on
            await self.conn.execute(f"PRAGMA {pragma}")
        rows = await self.conn.execute_fetchall("PRAGMA journal_mode")
        if next(iter(rows))[0] != "wal":
            await self.conn.execute("PRAGMA journal_mode = WAL")
        # A campaign or an import rewrites tens of thousands of rows several times: a WAL
        # sized for that keeps the work in memory until one checkpoint.
        await self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")

    @property
    def group_commit(self) -> GroupCommit:
        """Small writes that arrive together, committed together (see `hub.group_commit`)."""
        if self._group_commit is None:
            self._group_commit = GroupCommit(self.path, connection_pragmas())
        return self._group_commit

    async def close(self) -> None:
        if self._group_commit is not None:
            await self._group_commit.close()
        await self.conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def sql(self, name: str) -> str:
        try:
            return self.queries[name]
        except KeyError:
            raise KeyError(f"no SQL query named {name!r} in hub/sql/") from None

    async def schema_version(self) -> int:
        async with self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ) as cur:
            if await cur.fetchone() is None:
                return 0
        async with self.conn.execute("SELECT MAX(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        return int(row[0] or 0) if row else 0

    async def upgrade(self) -> list[int]:
        """Apply the migrations not yet recorded, all in one write transaction.

        `PRAGMA user_version` (kept equal to the schema version) is read first, without any
        lock: when nothing is due, opening takes no write lock. Otherwise the version is read
        again inside the transaction, so two processes opening a new database at once never
        both migrate it: the second waits, then finds nothing left to do.

        Foreign keys are off meanwhile (they can only be switched outside a transaction), as
        SQLite's procedure for rebuilding a table asks: with them on, dropping the old table
        would delete or empty every row referencing it. They are checked before committing.
        """
        shipped = migrations()
        rows = await retry_busy(
            self.path, lambda: self.conn.execute_fetchall("PRAGMA user_version")
        )
        if next(iter(rows))[0] == len(shipped):
            return []
        await self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            return await self._upgrade(shipped)
        finally:
            await self.conn.execute("PRAGMA foreign_keys = ON")

    async def _upgrade(self, shipped: list[tuple[int, str, str]]) -> list[int]:
        async with self.transaction():
            current = await self.schema_version()
            if current > len(shipped):
                raise StorageError(
                    f"la base {self.path} est au schéma {current}, plus récent que ce hub "
                    f"({len(shipped)}) : mettez le hub à jour avant de l'utiliser"
                )
            await self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            pending = shipped[current:]
            # References already broken before (a row whose parent went while foreign keys
            # were off) are not this upgrade's doing: only new ones refuse it.
            broken_before = await self._broken_references() if pending else set()
            for version, name, sql in pending:
                try:
                    for statement in split_statements(sql):
                        await self.conn.execute(statement)
                except sqlite3.Error as exc:
                    raise StorageError(
                        f"échec de la migration {version:04d}_{name} : {exc}"
                    ) from None
                await self.conn.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, utcnow()),
                )
            broken = (
                sorted(await self._broken_references() - broken_before, key=str) if pending else []
            )
            if broken:
                raise StorageError(
                    f"la mise à jour de la base {self.path} laisserait {len(broken)} "
                    f"référence(s) cassée(s) (table {broken[0][0]}) : elle n'a pas été "
                    "appliquée, la base est inchangée"
                )
            await self.conn.execute(f"PRAGMA user_version = {len(shipped)}")
        return [version for version, _, _ in pending]

    async def _broken_references(self) -> set[tuple[Any, ...]]:
        """The rows whose foreign key names a missing parent: (table, rowid, parent, key)."""
        return {tuple(row) for row in await self.conn.execute_fetchall("PRAGMA foreign_key_check")}

    # Each call is one trip to aiosqlite's thread (execute and fetch together), not three
    # (execute, fetch, close): on a busy machine the trips, not SQLite, cost the most.
    async def fetch_all(self, name: str, params: Params = None) -> list[aiosqlite.Row]:
        sql = self.sql(name)
        return list(await self._statement(lambda: self.conn.execute_fetchall(sql, params or {})))

    async def fetch_one(self, name: str, params: Params = None) -> aiosqlite.Row | None:
        sql = self.sql(name)
        rows = await self._statement(lambda: self.conn.execute_fetchall(sql, params or {}))
        return next(iter(rows), None)

    # Writes: one discipline. The process shares one connection, so a bare write while another
    # task's transaction is open would land inside it, committed or rolled back with that
    # task's work. A write is therefore either a step of the caller's own `transaction()` or,
    # anywhere else, its own short transaction under the same write lock.
    async def execute(self, name: str, params: Params = None) -> int:
        """Run a statement; for an INSERT, return the new row's id. Outside the caller's
        `transaction()`, it is a transaction of its own (it waits for the one open)."""
        if self._in_my_transaction():
            return await self._execute(name, params)
        async with self.transaction():
            return await self._execute(name, params)

    async def execute_many(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run a statement for each row; outside the caller's `transaction()`, all of them
        in one transaction of their own: all or nothing."""
        if self._in_my_transaction():
            await self.conn.executemany(self.sql(name), rows)
            return
        async with self.transaction():
            await self.conn.executemany(self.sql(name), rows)

    async def _execute(self, name: str, params: Params) -> int:
        row = await self.conn.execute_insert(self.sql(name), params or {})
        return int(row[0]) if row else 0

    def _in_my_transaction(self) -> bool:
        """Whether the calling task (or one it started meanwhile) is inside its `transaction()`
        on this database, as opposed to another task's being open."""
        mine = self._open_transaction
        return mine is not None and _CURRENT_TRANSACTION.get() is mine

    async def _statement(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """One statement; outside a transaction it is its own, so a busy one is retried (it
        changed nothing). Inside ours, the write lock is held: no wait can be needed."""
        if self.conn.in_transaction:
            return await attempt()
        return await retry_busy(self.path, attempt)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """A write transaction taken at once (`BEGIN IMMEDIATE`), committed or rolled back.

        The process shares one connection: coroutines take turns for transactions, so one
        never starts inside another's (SQLite would refuse) or commits another's half-work.
        `execute` and `execute_many` called inside it (by this task) are part of it.
        Other processes' turns are waited for (`retry_busy`): the BEGIN changes nothing until
        it succeeds.
        """
        async with self._write_lock:
            mine = object()
            self._open_transaction = mine
            entered = _CURRENT_TRANSACTION.set(mine)
            try:
                try:
                    # Inside the try: a task cancelled while BEGIN runs (it still runs, in
                    # aiosqlite's thread) must roll it back, or the connection stays in it.
                    await retry_busy(self.path, self._begin)
                    yield self
                except BaseException:
                    await self.conn.rollback()
                    raise
                await self.conn.commit()
            finally:
                self._open_transaction = None
                _CURRENT_TRANSACTION.reset(entered)

    async def _begin(self) -> None:
        await self.conn.execute("BEGIN IMMEDIATE")
