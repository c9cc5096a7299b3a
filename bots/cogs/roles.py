"""Taking back the roles the bot gave, when staff withdraw a membership, unlink someone or
erase a person — in this process or another (the command line): the causes are queued in the
database with them (see hub/community/role_sync.py), and this loop drains the queue every few
seconds. A member who left the server is done with; a Discord error is tried again next round.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

import discord

from bots import names
from bots.services import BotServices
from hub.community.role_sync import RoleRemoval

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.roles")


async def setup(bot: HubBot, services: BotServices) -> None:
    async def start() -> None:
        bot.start_background("role-sync", functools.partial(role_sync_loop, bot))

    bot.on_ready_hooks.append(start)


async def role_sync_loop(bot: HubBot) -> None:
    while not bot.is_closed():
        try:
            await take_back_due_roles(bot)
        except (discord.HTTPException, OSError):
            log.exception("discord role sync failed", extra={"server": bot.server.key})
        await asyncio.sleep(bot.role_sync_seconds)


async def take_back_due_roles(bot: HubBot) -> int:
    """One round: every due removal acted on; how many were done."""
    sync, server, guild = bot.services.role_sync, bot.server, bot.guild
    if guild is None:
        return 0
    done = 0
    for removal in await sync.due(server.key):
        if removal.roles:
            await _remove(bot, guild, removal)
        await sync.done(server.key, removal)
        done += 1
    return done


async def _remove(bot: HubBot, guild: discord.Guild, removal: RoleRemoval) -> None:
    found = [names.role(guild, bot.server.role(key)) for key in removal.roles]
    roles = [role for role in found if role is not None]
    try:
        member = guild.get_member(removal.discord_user_id) or await guild.fetch_member(
            removal.discord_user_id
        )
    except discord.NotFound:
        return  # left the server: nothing to take back
    if roles:
        await member.remove_roles(*roles, reason="Rôles retirés par le hub de la FCPTS")
    log.info(
        "discord roles taken back",
        extra={"server": bot.server.key, "user": removal.discord_user_id},
    )
