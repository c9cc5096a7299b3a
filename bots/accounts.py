"""The roles the bot gives, and one account across the servers: when a member identifies (or
staff validate them) in one server, every other bot of the hub that sees the same Discord
account in its server links it there too and gives the roles the record carries; a member who
joins a server after identifying in another is recognised at once (see
hub/community/one_account.py for the rule)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bots import names
from hub.community.identity import Linked
from hub.community.one_account import recognise

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.identity")

ROLE_LABELS = {
    "adherent": "adhérent",
    "salarie": "salarié",
    "coordinateur": "coordinateur",
    "elu": "élu",
}


def role_list(roles: tuple[str, ...]) -> str:
    return ", ".join(f"« {ROLE_LABELS.get(role, role)} »" for role in roles)


async def give_roles(bot: HubBot, user_id: int, roles: tuple[str, ...]) -> tuple[str, ...]:
    """Give `roles` (role keys) to the member; the ones given, recorded as given by the bot."""
    guild = bot.guild
    if guild is None:
        return ()
    found = {key: names.role(guild, bot.server.role(key)) for key in roles}
    missing = [key for key, role in found.items() if role is None]
    if missing:
        log.error(
            f"bot Discord « {bot.server.name} » : rôle introuvable "
            f"([discord.{bot.server.key}].roles.{missing[0]} = « {bot.server.role(missing[0])} »)",
            extra={"server": bot.server.key},
        )
    to_give = [role for role in found.values() if role is not None]
    if to_give:
        member = guild.get_member(user_id) or await guild.fetch_member(user_id)
        try:
            await member.add_roles(*to_give, reason="Identifié(e) par le hub de la FCPTS")
        except discord.Forbidden:
            log.error(
                f"bot Discord « {bot.server.name} » : Discord refuse de donner les rôles "
                f"{role_list(tuple(found))} ; le rôle du bot doit être placé au-dessus "
                "(voir la vérification des bots Discord)",
                extra={"server": bot.server.key},
            )
            return ()
    given = tuple(key for key, role in found.items() if role is not None)
    link = await bot.services.identification.link_of(user_id, server=bot.server.key)
    previous = link.roles if link else ()
    await bot.services.identification.record_roles(
        user_id, tuple(dict.fromkeys(previous + given)), server=bot.server.key
    )
    return given


async def recognise_member(bot: HubBot, user_id: int) -> Linked | None:
    """The account, if it is a member of this bot's server and linked in another server, is
    linked here too and given the roles it is due here; None if it is linked nowhere or is
    not in this server."""
    guild = bot.guild
    if guild is None:
        return None
    if guild.get_member(user_id) is None:
        try:
            await guild.fetch_member(user_id)
        except discord.NotFound:
            return None  # not in this server: nothing to link here
    linked = await recognise(bot.services.identification, user_id, server=bot.server.key)
    if linked is not None and linked.roles:
        await give_roles(bot, user_id, linked.roles)
    return linked


async def spread_to_siblings(bot: HubBot, user_id: int) -> None:
    """After a link or a validation in `bot`'s server: the same in the other servers of the
    hub where the account is a member. One server's failure never spoils the member's answer."""
    for sibling in bot.siblings:
        try:
            await recognise_member(sibling, user_id)
        except discord.HTTPException as exc:
            log.warning(
                "discord identity not spread to a sibling server",
                extra={"server": sibling.server.key, "status": exc.status},
            )
