"""The content feed in each server's #actualites (issue 12 §2): what to post, once.

The rules, without Discord: a server's first turn after its feed was pulled is a **silent
baseline** (every stored item recorded, nothing posted); afterwards each new item whose
categories match the server's `feed_categories` is queued once by its identity (the
newsletters' rule: guid, else link, else content hash), so an item edited at the source (its
row rewritten, its identity unchanged) or found again in another feed is never posted twice. A
turn posts at most `MAX_POSTS` items; the rest of that turn goes in one summary message. The
split is decided and committed before anything is posted: a restart resumes it as it was.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

from hub.db import Database
from hub.timeutil import utcnow

MAX_POSTS = 5  # individual posts per server and turn; the rest in one summary message
TITLE_MAX = 256  # Discord's embed title
SUMMARY_MAX = 500  # well within Discord's 4,096 for an embed description: a feed, not a page
Kind = Literal["post", "summary"]
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FeedPost:
    """A queued item, as the bot shows it: plain text, cut, links only if http(s)."""

    identity: str
    kind: Kind
    turn: int
    claimed: bool  # a previous attempt may have posted it: look in the channel first
    title: str
    summary: str
    link: str | None
    image: str | None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("p", "br", "li", "div"):
            self.parts.append(" ")


def plain_text(markup: str) -> str:
    """Sanitized HTML as one line of text (no tag, no entity, spaces collapsed)."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return _SPACES.sub(" ", html.unescape("".join(parser.parts))).strip()


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, an ellipsis showing the cut (on a word if one is near)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit * 0.8:
        head = head[:space]
    return head.rstrip() + "…"


def web_link(url: str | None) -> str | None:
    """Only http(s) links reach Discord (it refuses others in embeds, members should too)."""
    return url if url and url.lower().startswith(("https://", "http://")) else None


def matches(categories: Sequence[str], wanted: Sequence[str]) -> bool:
    keys = {c.strip().casefold() for c in wanted}
    return any(c.strip().casefold() in keys for c in categories)


async def has_baseline(db: Database, server: str) -> bool:
    return await db.fetch_one("discord_feed_baseline_get", {"server": server}) is not None


async def take_baseline(db: Database, server: str) -> bool:
    """The silent baseline, once the feed has been read at least once; True if taken."""
    async with db.transaction():
        pulled = await db.fetch_one("discord_feed_pulled")
        if pulled is None or not pulled["pulled"]:
            return False
        now = utcnow()
        await db.execute("discord_feed_baseline_put", {"server": server, "now": now})
        await db.execute("discord_feed_baseline_items", {"server": server, "now": now})
    return True


async def queue_new(
    db: Database, server: str, categories: Sequence[str], max_posts: int = MAX_POSTS
) -> int:
    """Queue this server's new items (a turn); how many will be shown, posts and summary."""
    async with db.transaction():
        rows = await db.fetch_all("discord_feed_unseen", {"server": server})
        if not rows:
            return 0
        turn_row = await db.fetch_one("discord_feed_next_turn", {"server": server})
        turn = int(turn_row["turn"]) if turn_row else 1
        now, shown, seen = utcnow(), 0, set()
        for row in rows:
            if row["identity"] in seen:  # the same item in two feeds
                continue
            seen.add(row["identity"])
            wanted = matches(json.loads(row["categories"]), categories)
            kind = ("post" if shown < max_posts else "summary") if wanted else "skipped"
            await db.execute(
                "discord_feed_queue",
                {
                    "server": server,
                    "identity": row["identity"],
                    "item_id": row["id"],
                    "kind": kind,
                    "turn": turn,
                    "position": shown,
                    "now": now,
                },
            )
            if wanted:
                shown += 1
        # Skipped items are settled at once: nothing to post.
        await db.execute("discord_feed_settle_skipped", {"server": server, "now": now})
    return shown


async def pending(db: Database, server: str) -> list[FeedPost]:
    """What is queued and not yet posted, posts first, turn by turn."""
    rows = await db.fetch_all("discord_feed_pending", {"server": server})
    return [
        FeedPost(
            identity=row["identity"],
            kind=row["kind"],
            turn=row["turn"],
            claimed=row["claimed_at"] is not None,
            title=cut(plain_text(row["title"] or ""), TITLE_MAX) or "(sans titre)",
            summary=cut(plain_text(row["summary_html"] or ""), SUMMARY_MAX),
            link=web_link(row["link"]),
            image=web_link(row["image_url"]),
        )
        for row in rows
        if row["kind"] in ("post", "summary")
    ]


async def claim(db: Database, server: str, posts: Sequence[FeedPost]) -> None:
    """Committed before the post: a crash after it leaves a trace to check."""
    now = utcnow()
    async with db.transaction():
        for post in posts:
            await db.execute(
                "discord_feed_claim", {"server": server, "identity": post.identity, "now": now}
            )


async def posted(db: Database, server: str, posts: Sequence[FeedPost], message_id: int) -> None:
    now = utcnow()
    async with db.transaction():
        for post in posts:
            await db.execute(
                "discord_feed_posted",
                {"server": server, "identity": post.identity, "message_id": message_id, "now": now},
            )
