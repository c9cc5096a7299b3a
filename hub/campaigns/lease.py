"""Who sends a campaign: one process at a time, under a lease it renews.

One process at a time sends a campaign: it owns it (`owner`, host:pid:nonce) under a lease it
renews. Another process takes over only when the owner is gone: its lease has expired, or, on
this host, its process is dead (or is an earlier process whose pid this one reuses).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from hub.db import Database
from hub.timeutil import to_utc_text

log = logging.getLogger("hub.campaigns")

LEASE_SECONDS = 30

_OWNERS_HERE: set[str] = set()  # every owner this process made


def new_owner() -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    _OWNERS_HERE.add(owner)
    return owner


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not reaped yet still answers kill(0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def owner_alive(owner: str | None, lease_until: datetime | None, now: datetime) -> bool:
    """Whether another sender still sends. Its lease must run (a live one renews it); on this
    host its process must live too, so a crash frees the campaign at once. Our own pid under an
    owner this process never made is a previous process whose pid we got again (a container
    restarts with the same pids): gone."""
    if not owner or lease_until is None or lease_until <= now:
        return False
    host, pid, _ = owner.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return owner in _OWNERS_HERE
    return _pid_alive(int(pid))


def lease_until(now: datetime, lease_seconds: float) -> str:
    """The end of a lease taken or renewed `now`, as stored."""
    return to_utc_text(now + timedelta(seconds=lease_seconds))


async def release(db: Database, campaign_id: int, owner: str) -> None:
    """Let the next process take over at once; if this fails, the lease runs out.

    Its own short transaction (`Database.execute` takes the write lock): a release that joined
    another task's open transaction would be rolled back with it, and the campaign stay held
    until the lease ran out."""
    try:
        await db.execute("campaign_release", {"id": campaign_id, "owner": owner})
    except Exception:
        log.exception("campaign release failed", extra={"campaign": campaign_id})


async def heartbeat(db: Database, campaign_id: int, owner: str, lease_seconds: float) -> None:
    """Renew the lease a few times per lease, until cancelled; a failed renewal (database
    busy…) is logged and retried at the next beat, never stops the send."""
    while True:
        await asyncio.sleep(lease_seconds / 3)
        try:
            await db.execute(
                "campaign_renew_lease",
                {
                    "id": campaign_id,
                    "owner": owner,
                    "lease_until": lease_until(datetime.now(UTC), lease_seconds),
                },
            )
        except Exception:
            log.exception("lease renewal failed", extra={"campaign": campaign_id})
