"""The federation's news in each server: newsletter issues announced in #annonces (issue 12 §1).

The hub queues one row per issue and server in the same transaction as its cause (see
`hub.community.announce`); this cog drains its server's rows at each READY and then every few
seconds (the row may come from the command line, another process). A row is claimed (committed)
before its post: if the bot dies between the post and its record, the next attempt finds the
row claimed and looks in #annonces for its own post of that issue (the embed's link) before
posting, so each issue is announced once per server across restarts and crashes.
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
from hub.community import announce
from hub.community.announce import IssueAnnouncement, PendingAnnouncement

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
    drain = functools.partial(drain_issues, bot, lock)
    bot.on_ready_hooks.append(drain)
    bot.on_ready_hooks.append(functools.partial(_start_polling, bot, drain))


async def _start_polling(bot: HubBot, drain: Callable[[], Awaitable[None]]) -> None:
    async def poll() -> None:
        while True:
            await asyncio.sleep(getattr(bot, "news_poll_seconds", POLL_SECONDS))
            try:
                await drain()
            except Exception:  # logged; the next turn tries again
                log.exception(
                    "discord issue announcements failed", extra={"server": bot.server.key}
                )

    bot.start_background("news-issues", poll)


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


async def drain_issues(bot: HubBot, lock: asyncio.Lock) -> None:
    """Post this server's pending issue announcements in #annonces, each once."""
    guild, server, db = bot.guild, bot.server, bot.services.db
    if guild is None:
        return
    async with lock:
        items = await announce.pending(db, server.key)
        if not items:
            return
        channel = names.text_channel(guild, server.channel("annonces"))
        if channel is None:
            log.error(
                f"bot Discord « {server.name} » : salon introuvable "
                f"([discord.{server.key}].channels.annonces = « {server.channel('annonces')} »)",
                extra={"server": server.key},
            )
            return
        for item in items:
            await _announce(bot, channel, item)


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
        found = await _already_posted(bot, channel, news.url)
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


async def _already_posted(
    bot: HubBot, channel: discord.TextChannel, url: str
) -> discord.Message | None:
    """The bot's own post of that issue among the channel's recent messages, if a crash left
    it unrecorded."""
    async for message in channel.history(limit=HISTORY_LOOKED_AT):
        mine = bot.user is not None and message.author.id == bot.user.id
        if mine and any(embed.url == url for embed in message.embeds):
            return message
    return None
