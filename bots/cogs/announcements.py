"""Staff announcements: `/annonce` (staff only) → modal → preview « Publier » / « Annuler » →
#annonces of the chosen servers; and the posting of what staff queued (here or with `hub
discord announce`), once per server (issue 12 §3).

The command is hidden from members by `default_member_permissions` (Manage Messages: staff's
role has it) and the bot checks the staff role anyway: a server admin may show it to anyone.
Posts ping nobody unless staff chose « notifier @adhérent »; then only that role.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bots import names
from bots.announcements_ui import AnnounceModal, is_staff
from bots.cogs.news import EDITION_COLOUR, NO_MENTIONS, channel_of, find_mine, start_polling
from bots.modals import open_modal
from bots.services import BotServices
from hub.community import staff_posts
from hub.community.staff_posts import Announcement, PendingStaffPost

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.announcements")

HERE = "ici"
NOT_STAFF = "Cette commande est réservée à l'équipe de la fédération."


async def setup(bot: HubBot, services: BotServices) -> None:
    bot.modal_routes.append(AnnounceModal)
    lock = asyncio.Lock()
    drain = functools.partial(drain_staff_posts, bot, lock)
    bot.staff_posts_drain = drain  # type: ignore[attr-defined]  # publishing drains at once
    bot.on_ready_hooks.append(drain)
    bot.on_ready_hooks.append(functools.partial(start_polling, bot, "staff-posts", drain))
    choices = [app_commands.Choice(name="Ce serveur", value=HERE)]
    choices += [
        app_commands.Choice(name=server.name, value=key)
        for key, server in services.config.discord.items()
    ]
    choices.append(app_commands.Choice(name="Tous les serveurs", value=staff_posts.EVERY_SERVER))

    @app_commands.command(name="annonce", description="Publier une annonce de l'équipe")
    @app_commands.describe(
        serveurs="Où publier l'annonce (#annonces)",
        notifier="Mentionner le rôle adhérent (notification à tous les membres)",
    )
    @app_commands.choices(serveurs=choices)
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    async def annonce(
        interaction: discord.Interaction[Any], serveurs: str = HERE, notifier: bool = False
    ) -> None:
        if not is_staff(bot, interaction.user):
            await interaction.response.send_message(NOT_STAFF, ephemeral=True)
            return
        choice = bot.server.key if serveurs == HERE else serveurs
        await open_modal(interaction, AnnounceModal(choice, notifier))

    bot.tree.add_command(annonce, guild=bot.guild_ref)


def announcement_embed(announcement: Announcement) -> discord.Embed:
    return discord.Embed(
        title=announcement.title, description=announcement.text, colour=EDITION_COLOUR
    )


async def drain_staff_posts(bot: HubBot, lock: asyncio.Lock) -> None:
    """Post this server's queued staff announcements in #annonces, each once."""
    async with lock:
        queued = await staff_posts.pending(bot.services.db, bot.server.key)
        channel = channel_of(bot, "annonces") if queued else None
        if channel is None:
            return
        for post in queued:
            await _post(bot, channel, post)


async def _post(bot: HubBot, channel: discord.TextChannel, post: PendingStaffPost) -> None:
    db = bot.services.db
    embed = announcement_embed(post.announcement)
    if post.claimed:
        found = await find_mine(
            bot,
            channel,
            lambda m: any(
                e.title == embed.title and e.description == embed.description for e in m.embeds
            ),
        )
        if found is not None:
            await staff_posts.posted(db, post, found.id)
            return
    content, mentions = None, NO_MENTIONS
    role = names.role(channel.guild, bot.server.role("adherent"))
    if post.announcement.notify and role is not None:
        content = role.mention
        mentions = discord.AllowedMentions(everyone=False, users=False, roles=[role])
    await staff_posts.claim(db, post)
    message = await channel.send(content, embed=embed, allowed_mentions=mentions)
    await staff_posts.posted(db, post, message.id)
    log.info("discord staff announcement posted", extra={"server": bot.server.key})
