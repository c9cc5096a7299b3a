"""Stored feed items: written by a pull, read by the composer and `hub feed list`.

A pull only inserts new items and rewrites changed ones (their content hash differs); it
never deletes, so an item that disappears from a feed stays available to the newsletters.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime

from aiosqlite import Row

from hub.db import Database
from hub.records import from_row
from hub.timeutil import optional_utc_text, to_utc_text, utcnow
from newsletters.model import FeedItem, FeedStatus

_KEY_MARK = "\x1f"


@dataclass(kw_only=True)
class StoredItem(FeedItem):
    """A feed item as stored, with where it came from and when the hub saw it."""

    id: int
    feed_name: str
    first_seen_at: datetime
    updated_at: datetime

    @property
    def date(self) -> datetime:
        """When the item was published, or first seen for an item without a date."""
        return self.published_at or self.first_seen_at


@dataclass(frozen=True)
class FeedState:
    """What the last pull of a feed left behind for the next conditional request."""

    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class SaveCounts:
    new: int
    updated: int
    unchanged: int


def category_key(term: str) -> str:
    """How a category term is matched: case-insensitively, as a whole term."""
    return f"{_KEY_MARK}{term.strip().casefold()}{_KEY_MARK}"


async def feed_states(db: Database) -> dict[str, FeedState]:
    rows = await db.fetch_all("feed_states")
    return {r["name"]: FeedState(r["url"], r["etag"], r["last_modified"]) for r in rows}


async def save_feed(
    db: Database,
    name: str,
    url: str,
    *,
    items: list[FeedItem],
    title: str | None,
    status: FeedStatus,
    etag: str | None,
    last_modified: str | None,
) -> SaveCounts:
    """Record a successful read of a feed and its items, in one transaction.

    New items are inserted, items whose content hash changed are updated in place, the others
    are not touched. For a 304 (`items` empty) only the feed's pull time and status change.
    """
    rows = await asyncio.to_thread(_rows, items) if items else []  # hashing is CPU work
    now = utcnow()
    async with db.transaction():
        feed_id = await _feed_id(db, name, url)
        known: dict[str, str] = {
            row["identity"]: row["content_hash"]
            for row in await db.fetch_all("item_hashes", {"feed_id": feed_id})
        }
        new: list[ItemColumns] = []
        changed: list[ItemColumns] = []
        for row in rows:
            if row["identity"] not in known:
                new.append(row)
            elif known[row["identity"]] != row["content_hash"]:
                changed.append(row)
            row.update(feed_id=feed_id, now=now)
        if new:
            await db.execute_many("insert_item", new)
        if changed:
            await db.execute_many("update_item", changed)
        await db.execute(
            "record_feed_read",
            {
                "feed_id": feed_id,
                "title": title,
                "etag": etag,
                "last_modified": last_modified,
                "pulled_at": now,
                "status": status,
            },
        )
    return SaveCounts(len(new), len(changed), len(items) - len(new) - len(changed))


async def record_error(db: Database, name: str, url: str, error: str) -> None:
    """Note a failed pull; the feed's items and validators are kept as they were."""
    async with db.transaction():
        feed_id = await _feed_id(db, name, url)
        await db.execute(
            "record_feed_error", {"feed_id": feed_id, "pulled_at": utcnow(), "error": error}
        )


async def _feed_id(db: Database, name: str, url: str) -> int:
    row = await db.fetch_one("upsert_feed", {"name": name, "url": url})
    assert row is not None  # RETURNING always yields the row
    return int(row["id"])


# An item as the parameters of insert_item/update_item: its columns, then feed_id and now.
ItemColumns = dict[str, str | int | None]


def _rows(items: list[FeedItem]) -> list[ItemColumns]:
    """The items as `items` columns, but for `feed_id` and the time (`now`)."""
    return [
        {
            "identity": item.identity,
            "title": item.title,
            "link": item.link,
            "summary_html": item.summary_html,
            "content_html": item.content_html,
            "image_url": item.image_url,
            "image_alt": item.image_alt,
            "author": item.author,
            "categories": json.dumps(item.categories, ensure_ascii=False),
            "category_keys": "".join(category_key(c) for c in item.categories),
            "published_at": optional_utc_text(item.published_at),
            "event_start": optional_utc_text(item.event_start),
            "event_end": optional_utc_text(item.event_end),
            "event_location": item.event_location,
            "content_hash": item.content_hash(),
        }
        for item in items
    ]


def _stored(row: Row) -> StoredItem:
    return from_row(StoredItem, row, categories=json.loads(row["categories"]))


async def items_published_between(
    db: Database, start: datetime | None, end: datetime
) -> list[StoredItem]:
    """Items published (or first seen, if undated) in (start, end], newest first."""
    rows = await db.fetch_all(
        "items_published_between", {"start": optional_utc_text(start), "end": to_utc_text(end)}
    )
    return [_stored(r) for r in rows]


async def list_items(
    db: Database,
    since: datetime | None = None,
    category: str | None = None,
    limit: int | None = None,
) -> list[StoredItem]:
    """Items dated `since` or later, carrying `category` (any case), newest first."""
    rows = await db.fetch_all(
        "list_items",
        {
            "since": optional_utc_text(since),
            "category_key": category_key(category) if category else None,
            "limit": -1 if limit is None else limit,
        },
    )
    return [_stored(r) for r in rows]
