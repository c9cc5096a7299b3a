"""A database busy with other processes: wait one's turn, retry, or say so plainly.

SQLite's busy handler waits `busy_timeout` for a lock, but it is not fair: in a crowd (a hundred
`hub events register` started at once), one process can lose every turn and get « database is
locked ». What failed that way changed nothing, so it is retried here with a growing, jittered
pause, within a bound; past it, the error names contention and what to do, not the file.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from hub.errors import UserError

T = TypeVar("T")
# How long a write waits its turn in all, past SQLite's own wait, before it gives up.
BUSY_PATIENCE_S = 60.0
FIRST_PAUSE_S = 0.01
LONGEST_PAUSE_S = 0.5


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (« database is locked »): another process holds the lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


class DatabaseBusy(UserError):
    """Other processes kept the database busy longer than we wait: nothing was written."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"base {path} occupée par d'autres processus (trop d'accès simultanés) : rien n'a "
            "été enregistré, réessayez dans quelques instants ; si cela dure, voyez si une "
            "commande ou un script tourne en boucle sur la même base"
        )


async def retry_busy(path: Path, attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, retried while the database is busy, with a growing, jittered pause.

    Only an attempt that leaves nothing behind when it fails busy may be given (a BEGIN, one
    statement outside a transaction, a whole transaction rolled back). Past `BUSY_PATIENCE_S`,
    `DatabaseBusy`: this attempt changed nothing.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_PATIENCE_S
    pause = FIRST_PAUSE_S
    while True:
        try:
            return await attempt()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            if loop.time() + pause > deadline:
                raise DatabaseBusy(path) from None
        await asyncio.sleep(pause * (0.5 + random.random()))
        pause = min(pause * 2, LONGEST_PAUSE_S)
