"""Identification on Discord: `/identification`, the « Je m'identifie » message kept posted
once in #accueil, the welcome DM to whoever joins, and `/mes-donnees`.

The message in #accueil is found again by the id the bot status table remembers, so a restart
(or a new gateway session) never posts it twice; it is posted again only when it is gone. A
member whose DMs are closed (Discord's 50007) is logged once and never retried: the message in
#accueil is there for them.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bots import names
from bots.accounts import ROLE_LABELS, recognise_member, role_list
from bots.identity_ui import (
    CodeModal,
    EmailModal,
    EnterCodeButton,
    IdentifyButton,
    ValidateButton,
    ValidateModal,
    identify_view,
)
from bots.modals import open_modal
from bots.services import BotServices
from hub.community.identity import DiscordLink

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.identity")

DMS_CLOSED = 50007
WELCOME = (
    "**Bienvenue sur le serveur de la Fédération nationale des CPTS !**\n"
    "Pour accéder aux salons des adhérents, à l'agenda et aux inscriptions, identifiez-vous "
    "avec l'adresse e-mail que la fédération connaît : vous recevrez un code à 6 chiffres."
)
RECOGNISED = (
    "**Bienvenue sur le serveur de la Fédération nationale des CPTS !**\n"
    "Vous êtes déjà identifié(e) sur un autre serveur de la fédération : rien à refaire ici."
)
NOT_IDENTIFIED = (
    "Vous n'êtes pas encore identifié(e) sur ce serveur : le hub ne relie aucune donnée à ce "
    "compte Discord."
)


async def setup(bot: HubBot, services: BotServices) -> None:
    bot.add_dynamic_items(IdentifyButton, EnterCodeButton, ValidateButton)
    bot.modal_routes.extend((EmailModal, CodeModal, ValidateModal))
    guild = bot.guild_ref

    @app_commands.command(name="identification", description="Relier ce compte à votre adresse")
    async def identification(interaction: discord.Interaction[Any]) -> None:
        await open_modal(interaction, EmailModal())

    @app_commands.command(name="mes-donnees", description="Ce que le hub sait de vous")
    async def mes_donnees(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(
            await my_data(services, interaction.user.id, bot.server.key),
            ephemeral=True,
        )

    bot.tree.add_command(identification, guild=guild)
    bot.tree.add_command(mes_donnees, guild=guild)
    bot.on_ready_hooks.append(functools.partial(keep_welcome_posted, bot))
    bot.member_join_hooks.append(functools.partial(welcome_dm, bot))


async def keep_welcome_posted(bot: HubBot) -> None:
    """The « Je m'identifie » message in #accueil: found by its remembered id, posted if gone."""
    guild, server = bot.guild, bot.server
    if guild is None:
        return
    channel = names.text_channel(guild, server.channel("accueil"))
    if channel is None:
        log.error(
            f"bot Discord « {server.name} » : salon introuvable "
            f"([discord.{server.key}].channels.accueil = « {server.channel('accueil')} »)",
            extra={"server": server.key},
        )
        return
    record = await bot.services.bot_status.get(server.key)
    if record.welcome_message_id and record.welcome_channel_id == channel.id:
        try:
            await channel.fetch_message(record.welcome_message_id)
            return
        except discord.NotFound:
            log.info("discord welcome message gone: posting it again", extra={"server": server.key})
    message = await channel.send(WELCOME, view=identify_view())
    await bot.services.bot_status.welcome_posted(server.key, channel.id, message.id)


async def welcome_dm(bot: HubBot, member: discord.Member) -> None:
    """The welcome by DM: with the « Je m'identifie » button, or, for an account already
    identified in another server of the federation, the roles it was given here at once.
    Closed DMs are logged once."""
    if member.bot:
        return
    try:
        linked = await recognise_member(bot, member.id)
    except discord.HTTPException as exc:  # roles are tried again when they identify
        log.warning("discord member not recognised", extra={"status": exc.status})
        linked = None
    try:
        if linked is None:
            await member.send(WELCOME, view=identify_view())
        else:
            given = f" Rôle(s) donné(s) : {role_list(linked.roles)}." if linked.roles else ""
            await member.send(f"{RECOGNISED}{given}")
    except discord.Forbidden as exc:
        if exc.code != DMS_CLOSED:
            raise
        log.info(
            "discord welcome DM refused: the member's DMs are closed",
            extra={"server": bot.server.key, "user": member.id},
        )


def _yes(value: bool) -> str:
    return "oui" if value else "non"


async def my_data(services: BotServices, discord_user_id: int, server: str) -> str:
    """What the hub holds about the member (GDPR art. 15), short enough for one message."""
    person = await services.identification.person_of(discord_user_id, server=server)
    if person is None:
        return NOT_IDENTIFIED
    shown = (await services.privacy.show(person.email)).as_json() or {}
    links: list[DiscordLink] = await services.identification.links_of(person.id)
    subscriptions = shown.get("subscriptions", [])
    lists = ", ".join(f"{row['list']} ({row['status']})" for row in subscriptions) or "aucune"
    name = f"{person.first_name} {person.last_name}".strip() or "—"
    servers = ", ".join(
        services.config.discord[link.server].name
        if link.server in services.config.discord
        else link.server
        for link in links
    )
    given = sorted({ROLE_LABELS.get(r, r) for link in links for r in link.roles})
    lines = [
        "**Ce que le hub de la FCPTS sait de vous**",
        f"Adresse : {person.email}",
        f"Nom : {name}",
        f"Organisation : {person.organisation or '—'}",
        f"Rôle : {person.role}",
        f"Contact d'une CPTS adhérente : {_yes(person.member)}",
        f"Lettres d'information : {lists}",
        f"Inscriptions aux événements : {len(shown.get('registrations', []))}",
        f"Comptes Discord reliés : {servers or '—'}",
        f"Rôles donnés par le bot : {', '.join(given) or 'aucun'}",
        f"Pour corriger ou effacer ces données : {services.config.federation.contact_email}",
    ]
    return "\n".join(lines)
