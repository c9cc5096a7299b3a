"""The federation's news in each server: newsletter issues announced in #annonces and the
content feed in #actualites (issue 12 §1-2).

The hub queues one row per issue and server in the same transaction as its cause (see
`hub.community.announce`); this cog drains its server's rows at each READY and then every few
seconds (the row may come from the command line, another process). A row is claimed (committed)
before its post: if the bot dies between the post and its record, the next attempt finds the
row claimed and looks in #annonces for its own post of that issue (the embed's link) before
posting, so each issue is announced once per server across restarts and crashes.

The feed works the same way over `hub.community.feed_posts`, which decides what a turn shows
(a silent baseline first, then at most five posts and one summary message per turn); Discord's
429s are waited out by discord.py, which retries the same request: nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from bots import names
from bots.services import BotServices
from hub.community import announce, feed_posts
from hub.community.announce import IssueAnnouncement, PendingAnnouncement
from hub.community.feed_posts import FeedPost

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.news")

POLL_SECONDS = 5.0
HISTORY_LOOKED_AT = 50  # messages of #annonces searched for a post a crash left unrecorded
NO_MENTIONS = discord.AllowedMentions.none()
EMBED_TITLE_MAX, EMBED_DESCRIPTION_MAX = 256, 4096
EDITION_COLOUR = 0x1F4E79


async def setup(bot: HubBot, services: BotServices) -> None:
    lock = asyncio.Lock()
    drain = functools.partial(drain_news, bot, lock)
    bot.on_ready_hooks.append(drain)
    bot.on_ready_hooks.append(functools.partial(start_polling, bot, "news", drain))


async def start_polling(bot: HubBot, name: str, drain: Callable[[], Awaitable[None]]) -> None:
    """Drain an outbox every `POLL_SECONDS` (rows may come from another process), once per bot."""

    async def poll() -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await drain()
            except Exception:  # logged; the next turn tries again
                log.exception("discord outbox failed", extra={"server": bot.server.key})

    bot.start_background(f"outbox-{name}", poll)


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, an ellipsis showing the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def issue_embed(news: IssueAnnouncement) -> discord.Embed:
    lines = [news.preheader] if news.preheader else []
    if news.titles:
        lines += ["", "**Au sommaire**"] + [f"• {title}" for title in news.titles]
    lines += ["", f"[Lire le numéro en ligne]({news.url})"]
    embed = discord.Embed(
        title=cut(news.subject, EMBED_TITLE_MAX),
        url=news.url,
        description=cut("\n".join(lines), EMBED_DESCRIPTION_MAX),
        colour=EDITION_COLOUR,
    )
    embed.set_footer(text=f"{news.edition_name} · n° {news.number}")
    return embed


async def drain_news(bot: HubBot, lock: asyncio.Lock) -> None:
    """One turn: the pending issue announcements, then the feed (one turn at a time)."""
    async with lock:
        await drain_issues(bot)
        await drain_feed(bot)


def channel_of(bot: HubBot, key: str) -> discord.TextChannel | None:
    guild, server = bot.guild, bot.server
    channel = names.text_channel(guild, server.channel(key)) if guild is not None else None
    if guild is not None and channel is None:
        log.error(
            f"bot Discord « {server.name} » : salon introuvable "
            f"([discord.{server.key}].channels.{key} = « {server.channel(key)} »)",
            extra={"server": server.key},
        )
    return channel


async def drain_issues(bot: HubBot) -> None:
    """Post this server's pending issue announcements in #annonces, each once."""
    items = await announce.pending(bot.services.db, bot.server.key)
    channel = channel_of(bot, "annonces") if items else None
    if channel is None:
        return
    for item in items:
        await _announce(bot, channel, item)


async def drain_feed(bot: HubBot) -> None:
    """The baseline at first, then this turn's new items: posts, then one summary."""
    db, server = bot.services.db, bot.server
    if bot.guild is None:
        return
    if not await feed_posts.has_baseline(db, server.key):
        if await feed_posts.take_baseline(db, server.key):
            log.info("discord feed baseline taken", extra={"server": server.key})
        return
    await feed_posts.queue_new(db, server.key, server.feed_categories)
    queued = await feed_posts.pending(db, server.key)
    channel = channel_of(bot, "actualites") if queued else None
    if channel is None:
        return
    for post in (p for p in queued if p.kind == "post"):
        await _post_item(bot, channel, post)
    turns = sorted({p.turn for p in queued if p.kind == "summary"})
    for turn in turns:
        await _post_summary(
            bot, channel, [p for p in queued if p.kind == "summary" and p.turn == turn]
        )


def item_embed(post: FeedPost) -> discord.Embed:
    embed = discord.Embed(
        title=cut(discord.utils.escape_markdown(post.title), EMBED_TITLE_MAX),
        url=post.link,
        description=discord.utils.escape_markdown(post.summary) or None,
        colour=EDITION_COLOUR,
    )
    if post.image:
        embed.set_image(url=post.image)
    return embed


def summary_lines(posts: list[FeedPost]) -> str:
    """The links of a summary, as many whole lines as Discord's limit holds."""
    lines: list[str] = []
    size = 0
    for post in posts:
        title = discord.utils.escape_markdown(cut(post.title, 150)).replace("]", "\\]")
        line = f"• [{title}]({post.link})" if post.link else f"• {title}"
        if size + len(line) + 1 > EMBED_DESCRIPTION_MAX - 2:
            lines.append("…")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def summary_heading(count: int) -> str:
    return f"… et {count} autre{'s' if count > 1 else ''} actualité{'s' if count > 1 else ''}"


async def _post_item(bot: HubBot, channel: discord.TextChannel, post: FeedPost) -> None:
    db, key = bot.services.db, bot.server.key
    embed = item_embed(post)
    if post.claimed:
        found = await find_mine(bot, channel, lambda m: _same_embed(m, embed))
        if found is not None:
            await feed_posts.posted(db, key, [post], found.id)
            return
    await feed_posts.claim(db, key, [post])
    message = await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
    await feed_posts.posted(db, key, [post], message.id)


async def _post_summary(bot: HubBot, channel: discord.TextChannel, posts: list[FeedPost]) -> None:
    db, key = bot.services.db, bot.server.key
    heading = summary_heading(len(posts))
    embed = discord.Embed(description=summary_lines(posts), colour=EDITION_COLOUR)
    if any(p.claimed for p in posts):
        found = await find_mine(
            bot,
            channel,
            lambda m: m.content == heading and _same_description(m, embed.description),
        )
        if found is not None:
            await feed_posts.posted(db, key, posts, found.id)
            return
    await feed_posts.claim(db, key, posts)
    message = await channel.send(heading, embed=embed, allowed_mentions=NO_MENTIONS)
    await feed_posts.posted(db, key, posts, message.id)


def _same_embed(message: discord.Message, embed: discord.Embed) -> bool:
    return any(e.title == embed.title and e.url == embed.url for e in message.embeds)


def _same_description(message: discord.Message, description: str | None) -> bool:
    return any(e.description == description for e in message.embeds)


async def _announce(bot: HubBot, channel: discord.TextChannel, item: PendingAnnouncement) -> None:
    db, config = bot.services.db, bot.services.config
    try:
        news = await announce.content(db, config, item.edition, item.number)
    except announce.IssueNotPublished:
        log.error(
            "discord issue announcement: the issue is not in the archive",
            extra={"server": item.server, "edition": item.edition, "number": item.number},
        )
        return
    if item.claimed:
        found = await find_mine(
            bot, channel, lambda m: any(embed.url == news.url for embed in m.embeds)
        )
        if found is not None:
            await announce.posted(db, item, channel.id, found.id)
            return
    await announce.claim(db, item)
    message = await channel.send(embed=issue_embed(news), allowed_mentions=NO_MENTIONS)
    await announce.posted(db, item, channel.id, message.id)
    log.info(
        "discord issue announced",
        extra={"server": item.server, "edition": item.edition, "number": item.number},
    )


async def find_mine(
    bot: HubBot, channel: discord.TextChannel, same: Callable[[discord.Message], bool]
) -> discord.Message | None:
    """The bot's own post among the channel's recent messages, if a crash left it unrecorded."""
    async for message in channel.history(limit=HISTORY_LOOKED_AT):
        if bot.user is not None and message.author.id == bot.user.id and same(message):
            return message
    return None
