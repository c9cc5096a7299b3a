"""The suppression list: addresses that must never be mailed again, kept as keyed hashes.

It must outlive an erasure (the address must never be mailed again) without keeping the
address itself, so it holds an HMAC of the normalised address under a key derived from the
hub's secret key. A changed key would silently unblock every address: `verify_key` refuses it.
"""

from __future__ import annotations

import hashlib
import hmac
import weakref
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from hub.config import Config
from hub.db import Database
from hub.keys import checked_key, derived_key
from hub.subscribers.model import SUPPRESSION_REASONS, SubscriptionStatus, SuppressionReason
from hub.timeutil import from_utc_text, utcnow

SUPPRESSION_KEY = "suppression"  # the purpose of the key of the suppression hashes
# The databases whose suppression key this process has checked, with the key checked.
_CHECKED_KEYS: weakref.WeakKeyDictionary[Database, bytes] = weakref.WeakKeyDictionary()

# What each suppression does to the person's current subscriptions.
SUPPRESSED_STATUS = {
    SuppressionReason.BOUNCE: SubscriptionStatus.BOUNCED,
    SuppressionReason.COMPLAINT: SubscriptionStatus.COMPLAINED,
    SuppressionReason.MANUAL: SubscriptionStatus.UNSUBSCRIBED,
    SuppressionReason.ERASED: SubscriptionStatus.UNSUBSCRIBED,
}


@lru_cache(maxsize=8)
def _keyed_sha256(key: bytes) -> hmac.HMAC:
    """An HMAC with its key already absorbed: copying it is cheaper than starting over."""
    return hmac.new(key, digestmod=hashlib.sha256)


def email_hash(key: bytes, email: str) -> str:
    """The keyed hash of a normalised address: what the suppression list keeps."""
    digest = _keyed_sha256(key).copy()
    digest.update(email.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Suppression:
    """One blocked address, as the list knows it (its hash, never the address)."""

    reason: SuppressionReason
    detail: str
    created_at: datetime


class SuppressionList:
    """Reads and writes of the suppression list; the writes run inside the caller's
    transaction (blocking an address always goes with ending its subscriptions)."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config

    @cached_property
    def _hash_key(self) -> bytes:
        return derived_key(self.config, SUPPRESSION_KEY)

    async def verify_key(self) -> None:
        """Refuse (`KeyChanged`) a suppression key other than the one the database was first
        used with: under it no blocked address would be recognised. Checked once per database
        and key in a process; every method that hashes an address calls it first (outside
        any transaction), and so must any other user of `hash`."""
        key = self._hash_key
        if _CHECKED_KEYS.get(self.db) != key:
            await checked_key(self.db, self.config, SUPPRESSION_KEY)
            _CHECKED_KEYS[self.db] = key

    def hash(self, email: str) -> str:
        """The suppression hash of an already normalised address (see `verify_key`)."""
        return email_hash(self._hash_key, email)

    async def block(self, email: str, reason: str, detail: str) -> None:
        """Add a normalised address (inside a transaction; `verify_key` called before)."""
        if reason not in SUPPRESSION_REASONS:
            raise ValueError(f"unknown suppression reason {reason!r}")
        await self.db.execute(
            "subscriber_suppress",
            {"email_hash": self.hash(email), "reason": reason, "detail": detail, "now": utcnow()},
        )

    async def row(self, email: str) -> dict[str, Any] | None:
        """The stored suppression of a normalised address as it is (JSON-able), or None."""
        await self.verify_key()
        row = await self.db.fetch_one("subscriber_suppression", {"email_hash": self.hash(email)})
        return dict(row) if row else None

    async def find(self, email: str) -> Suppression | None:
        """The suppression of a normalised address, None when it is not blocked."""
        row = await self.row(email)
        if row is None:
            return None
        return Suppression(
            reason=SuppressionReason(row["reason"]),
            detail=row["detail"],
            created_at=from_utc_text(row["created_at"]),  # type: ignore[arg-type]
        )
