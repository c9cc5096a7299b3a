"""The feed in #actualites (issue 12 §2): the first pull is a silent baseline, new items are
posted once (an edited item is not posted again, not even across a restart), each server gets
its categories, a burst is capped at five posts and one summary, Discord's 429s lose and double
nothing, and an `@everyone` in a title pings nobody (checked in the request's bytes)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bots.cogs import news
from hub.db import Database
from newsletters import store
from newsletters.model import FeedItem
from tests.bots.conftest import Community
from tests.bots.test_identification import posts

POST = "POST /channels/{channel_id}/messages"
SERVERS = ("salaries", "elus")


@pytest.fixture(autouse=True)
def fast_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news, "POLL_SECONDS", 0.05)


def item(n: int, category: str = "Actualités", **changes: Any) -> FeedItem:
    fields: dict[str, Any] = {
        "identity": f"https://www.fcpts.org/?p={n}",
        "title": f"Actualité {n}",
        "link": f"https://www.fcpts.org/actualite-{n}/",
        "summary_html": f"<p>Résumé de l'actualité <strong>{n}</strong> &amp; suite.</p>",
        "categories": [category],
    }
    return FeedItem(**(fields | changes))


async def pull(db: Database, items: list[FeedItem], feed: str = "fcpts") -> None:
    """What a pull of the feed stores (the newsletters' own store)."""
    await store.save_feed(
        db,
        feed,
        f"https://www.fcpts.org/{feed}.xml",
        items=items,
        title=feed,
        status="ok",
        etag=None,
        last_modified=None,
    )


async def baselines(db: Database) -> int:
    rows = await db.conn.execute_fetchall("SELECT COUNT(*) FROM discord_feed_baselines")
    return int(next(iter(rows))[0])


async def baseline_taken(db: Database) -> None:
    """Wait (bounded) until both servers took their silent baseline."""
    for _ in range(200):
        if await baselines(db) == len(SERVERS):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no baseline taken")


async def settled(community: Community, turns: int = 6) -> None:
    """Let the bots run a few more turns (nothing more may appear)."""
    await asyncio.sleep(news.POLL_SECONDS * turns)


def embeds(community: Community, server: str) -> list[dict[str, Any]]:
    return [e for m in posts(community, server, "actualites") for e in m.get("embeds", [])]


async def test_the_first_pull_is_silent_then_each_new_item_is_posted_once(
    community: Community,
) -> None:
    db = community.services.db
    await pull(db, [item(1), item(2), item(3, "Juridique")])
    async with community.bots():
        await baseline_taken(db)
        await settled(community)
        assert [posts(community, k, "actualites") for k in SERVERS] == [[], []]

        # A new pull: two new items (one of the salariés only), one old item edited.
        await pull(
            db,
            [
                item(1, title="Actualité 1 (modifiée)"),
                item(2),
                item(3, "Juridique"),
                item(4),
                item(5, "Vie des CPTS"),
            ],
        )
        await community.discord.wait_until(
            lambda: (
                len(posts(community, "salaries", "actualites")) == 2
                and len(posts(community, "elus", "actualites")) == 1
            )
        )
        # The posted item is edited at the source and found again in a second feed.
        await pull(db, [item(1), item(2), item(3), item(4, title="Actualité 4 (v2)"), item(5)])
        await pull(db, [item(4, title="Actualité 4 (v3)")], feed="fcpts-miroir")
        await settled(community)
    async with community.bots():  # a restart posts nothing again
        await settled(community)
    assert [e["title"] for e in embeds(community, "salaries")] == ["Actualité 4", "Actualité 5"]
    assert [e["title"] for e in embeds(community, "elus")] == ["Actualité 4"]
    (first, _) = embeds(community, "salaries")
    assert first["url"] == "https://www.fcpts.org/actualite-4/"
    assert first["description"] == "Résumé de l'actualité 4 & suite."


async def test_a_burst_of_40_is_five_posts_and_one_summary_despite_429s(
    community: Community,
) -> None:
    db = community.services.db
    await pull(db, [item(0)])
    async with community.bots():
        await baseline_taken(db)
        community.discord.fail_next(POST, 429, retry_after=0.2, count=3)
        await pull(db, [item(0)] + [item(n) for n in range(1, 41)])
        await community.discord.wait_until(
            lambda: all(len(posts(community, k, "actualites")) == 6 for k in SERVERS), 20.0
        )
        await settled(community)
    assert sum(r.status == 429 for r in community.discord.requests_to(POST)) == 3
    for key in SERVERS:
        messages = posts(community, key, "actualites")
        assert len(messages) == 6
        assert [m["embeds"][0]["title"] for m in messages[:5]] == [
            f"Actualité {n}" for n in range(1, 6)
        ]
        summary = messages[5]
        assert summary["content"] == "… et 35 autres actualités"
        lines = summary["embeds"][0]["description"].split("\n")
        assert lines == [
            f"• [Actualité {n}](https://www.fcpts.org/actualite-{n}/)" for n in range(6, 41)
        ]


async def test_an_everyone_in_a_title_pings_nobody(community: Community) -> None:
    db = community.services.db
    await pull(db, [item(0)])
    role = community.role_id("salaries", "adhérent")
    async with community.bots():
        await baseline_taken(db)
        await pull(db, [item(1, title=f"@everyone urgent <@&{role}> @here")])
        await community.discord.wait_until(
            lambda: all(posts(community, k, "actualites") for k in SERVERS)
        )
    sent = [r for r in community.discord.requests_to(POST) if r.status == 200]
    feed_posts = [r for r in sent if b"@everyone urgent" in r.raw]
    assert len(feed_posts) == 2
    for request in feed_posts:
        assert json.loads(request.raw)["allowed_mentions"] == {"parse": []}


async def test_429s_past_discord_py_s_retries_lose_and_double_nothing(
    community: Community,
) -> None:
    """discord.py gives up after five 429s in a row: the claimed item is looked for in the
    channel at the next turn (not there: posted), never dropped, never posted twice."""
    db = community.services.db
    await pull(db, [item(0)])
    async with community.bots():
        await baseline_taken(db)
        community.discord.fail_next(POST, 429, retry_after=0.05, count=10)
        await pull(db, [item(0), item(1), item(2)])
        await community.discord.wait_until(
            lambda: all(len(posts(community, k, "actualites")) == 2 for k in SERVERS), 20.0
        )
        await settled(community)
    assert sum(r.status == 429 for r in community.discord.requests_to(POST)) == 10
    assert community.discord.requests_to("GET /channels/{channel_id}/messages"), "looked for"
    for key in SERVERS:
        assert [e["title"] for e in embeds(community, key)] == ["Actualité 1", "Actualité 2"]
    rows = await db.conn.execute_fetchall(
        "SELECT COUNT(*) FROM discord_feed_posts WHERE kind = 'post' AND message_id IS NULL"
    )
    assert next(iter(rows))[0] == 0
