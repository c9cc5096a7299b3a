"""The subscribers' rows, written set-wide inside the caller's transaction.

The service (and the privacy service) decide what changes; this module only knows how the
rows are written, in a few queries over JSON arrays so that a 100,000-row import costs a
handful of statements, not one per person.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from hub.db import Database
from hub.subscribers.model import (
    ACTIVE,
    Consent,
    Person,
    Subscriber,
    person_fields,
    subscriber_from_row,
)


class SubscriberStore:
    """Writes of people, subscriptions and consents; none opens a transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_emails(self, emails: Sequence[str]) -> dict[str, Subscriber]:
        rows = await self.db.fetch_all("subscriber_by_emails", {"emails": json.dumps(emails)})
        return {row["email"]: subscriber_from_row(row) for row in rows}

    async def store(
        self, people: Sequence[tuple[Person, Subscriber | None, str]], now: str
    ) -> dict[str, int]:
        """Insert new people and update known ones (inside a transaction); the new ids.

        `people`: (person as it must be stored, their stored record or None, address hash).
        """
        new = [[p.email, digest, *person_fields(p)] for p, known, digest in people if known is None]
        # In hash order: the hash index's random keys then fill its pages one after another,
        # which makes a large import's inserts a quarter faster.
        new.sort(key=lambda row: row[1])
        known = [[k.id, *person_fields(p)] for p, k, _ in people if k is not None]
        if known:
            await self.db.execute("subscriber_update", {"people": json.dumps(known), "now": now})
        if not new:
            return {}
        rows = await self.db.fetch_all("subscriber_insert", {"people": json.dumps(new), "now": now})
        return {row["email"]: row["id"] for row in rows}

    def insert_on_conn(
        self, conn: sqlite3.Connection, person: Person, digest: str, now: str
    ) -> int:
        """Store one new person, on no list, inside the caller's write transaction on `conn`
        (the events' group commit runs on a connection of its own); their id."""
        people = json.dumps([[person.email, digest, *person_fields(person)]])
        row = conn.execute(self.db.sql("subscriber_insert"), {"people": people, "now": now})
        return int(row.fetchone()["id"])

    async def record_consents(
        self,
        ids: Sequence[int],
        lists: Sequence[str],
        actions: Sequence[str],
        consent: Consent,
        now: str,
    ) -> None:
        """One consent row per subscriber, list and action (actions in the order they happened)."""
        if ids and lists and actions:
            await self.db.execute(
                "subscriber_consent_insert",
                {
                    "ids": json.dumps(list(ids)),
                    "lists": json.dumps(list(lists)),
                    "actions": json.dumps(list(actions)),
                    "source": consent.source,
                    "consent_text": consent.text,
                    "consent_version": consent.version,
                    "ip": consent.ip,
                    "now": now,
                },
            )

    async def end(self, subscriber_id: int, list_key: str, status: str, now: str) -> list[str]:
        """End one active subscription, or all ("*"), in `status` (inside a transaction); the
        lists ended."""
        rows = await self.db.fetch_all(
            "subscription_move",
            {
                "id": subscriber_id,
                "list": list_key,
                "from": json.dumps(list(ACTIVE)),
                "status": status,
                "now": now,
            },
        )
        return sorted(row["list"] for row in rows)
