"""Feed benchmark: 50 new feed items reach both Discord servers' #actualites, with Discord's
429s injected by the loopback stand-in Discord (`loopback/discord`, the tests' one too).

The hub's real bots (one per server, in this process's loop, as `hub run` starts them) are
pointed at the stand-in; the servers took their silent baseline; then one pull stores 50 new
items. Timed: from the pull's commit until every item is recorded as shown in both servers (at
most 5 posts per server and turn, the rest in one summary message). Counted: the REST calls of
that phase, the 429s the stand-in answered, and the messages in each #actualites (each item
once: 5 posts + 1 summary per server, whatever the 429s). Medians over the runs; the last line
is one JSON object with the figures.

`make bench` runs it through bench/discord.py (the issue's benchmark: sign-ups, then this feed
part in a child process; its last line holds both parts' figures).

Usage: python bench/discord_feed.py [--items N] [--rate-limits N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# This file's folder holds bench/discord.py, named like the discord.py package: keep only the
# project's root on the path, so `import discord` finds the library (as bench/discord.py does).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != PROJECT_ROOT / "bench"]
sys.path.insert(0, str(PROJECT_ROOT))

from bots.cogs import news  # noqa: E402
from bots.endpoints import apply_endpoints  # noqa: E402
from bots.runtime import running_bots  # noqa: E402
from hub.config import DEFAULT_CONFIG  # noqa: E402
from hub.db import Database  # noqa: E402
from loopback.discord import DiscordServer  # noqa: E402
from loopback.discord.community import (  # noqa: E402
    SERVERS,
    add_community,
    configured,
    hub_services,
    token_env,
)
from loopback.discord.state import Guild  # noqa: E402
from newsletters import store  # noqa: E402
from newsletters.model import FeedItem  # noqa: E402

POST = "POST /channels/{channel_id}/messages"
WAIT_SECONDS = 120.0


def item(n: int) -> FeedItem:
    return FeedItem(
        identity=f"https://www.fcpts.org/?p={n}",
        title=f"Actualité {n} : la fédération au Sénat",
        link=f"https://www.fcpts.org/actualite-{n}/",
        summary_html=f"<p>Résumé de l'actualité {n}, assez long pour un vrai résumé.</p>",
        image_url=f"https://www.fcpts.org/images/{n}.jpg",
        categories=["Actualités"],
    )


async def pull(db: Database, items: list[FeedItem]) -> None:
    await store.save_feed(
        db,
        "fcpts",
        "https://www.fcpts.org/feed/",
        items=items,
        title="FCPTS",
        status="ok",
        etag=None,
        last_modified=None,
    )


async def shown(db: Database) -> int:
    rows = await db.conn.execute_fetchall(
        "SELECT COUNT(*) FROM discord_feed_posts WHERE kind IN ('post', 'summary') "
        "AND posted_at IS NOT NULL"
    )
    return int(next(iter(rows))[0])


async def baselines_taken(db: Database) -> bool:
    for server in SERVERS:
        if await db.fetch_one("discord_feed_baseline_get", {"server": server}) is None:
            return False
    return True


def actualites(guild: Guild) -> str:
    return str(next(c["id"] for c in guild.channels.values() if c["name"] == "actualites"))


async def one_run(items: int, rate_limits: int) -> dict[str, float]:
    news.POLL_SECONDS = 0.2  # a turn every 200 ms (5 s in production: a pull is every 30 min)
    with tempfile.TemporaryDirectory() as folder:
        text = DEFAULT_CONFIG.read_text(encoding="utf-8")
        text = text.replace('data_dir = "../var"', f'data_dir = "{Path(folder) / "var"}"')
        config_path = Path(folder) / "hub.toml"
        config_path.write_text(text, encoding="utf-8")
        async with DiscordServer() as discord:
            apply_endpoints(discord.env)
            _, guilds = add_community(discord)
            config = configured(config_path, guilds)
            async with await Database.open(config.database_path) as db:
                services = hub_services(config, db, token_env())
                await pull(db, [item(0)])
                async with running_bots(services, env=discord.env, ready_timeout=0.2) as bots:
                    for bot in bots:
                        await asyncio.wait_for(bot.connected.wait(), WAIT_SECONDS)
                    while not await baselines_taken(db):
                        await asyncio.sleep(0.05)
                    discord.fail_next(POST, 429, retry_after=0.5, count=rate_limits)
                    calls_before = len(discord.state.requests)
                    started = time.perf_counter()
                    await pull(db, [item(0)] + [item(n) for n in range(1, items + 1)])
                    while await shown(db) < items * len(SERVERS):
                        if time.perf_counter() - started > WAIT_SECONDS:
                            raise RuntimeError("not every item was shown in time")
                        await asyncio.sleep(0.01)
                    seconds = time.perf_counter() - started
                    phase = discord.state.requests[calls_before:]
                messages = {k: discord.messages_in(actualites(guilds[k])) for k in SERVERS}
            apply_endpoints({})
    return {
        "seconds": seconds,
        "rest_calls": len(phase),
        "posts_requests": sum(
            1 for r in phase if r.method == "POST" and r.path.endswith("/messages")
        ),
        "rate_limited": sum(1 for r in phase if r.status == 429),
        "messages_salaries": len(messages["salaries"]),
        "messages_elus": len(messages["elus"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--rate-limits", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [asyncio.run(one_run(args.items, args.rate_limits)) for _ in range(args.runs)]
    figures = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(
        f"{args.items} new items for 2 servers, {args.rate_limits} × 429 injected, "
        f"median of {args.runs} runs:"
    )
    print(f"  time until every item is shown in both servers: {figures['seconds']:.2f} s")
    print(
        f"  REST calls: {figures['rest_calls']:.0f} ({figures['posts_requests']:.0f} message "
        f"posts, {figures['rate_limited']:.0f} answered 429)"
    )
    print(
        f"  messages in #actualites: salariés {figures['messages_salaries']:.0f}, élus "
        f"{figures['messages_elus']:.0f} (expected 6 each: 5 posts + 1 summary)"
    )
    print(
        json.dumps(
            {"items": args.items, "servers": 2, "rate_limits": args.rate_limits, "runs": args.runs}
            | figures
        )
    )


if __name__ == "__main__":
    main()
