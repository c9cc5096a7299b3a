"""The modal and the preview of `/annonce`: titre and texte, then « Publier » / « Annuler ».

The preview is ephemeral and lives in memory (15 minutes): a restart forgets an unpublished
preview, staff type `/annonce` again; nothing is queued before « Publier ».
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bots import names
from bots.modals import RoutedModal, apologise
from hub.community import staff_posts
from hub.community.staff_posts import Announcement
from hub.errors import UserError

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.announcements")

PREVIEW_SECONDS = 900.0
STAFF_ONLY = "Cette action est réservée à l'équipe de la fédération."


def _bot(interaction: discord.Interaction[Any]) -> HubBot:
    return cast("HubBot", interaction.client)


def is_staff(bot: HubBot, user: discord.User | discord.Member) -> bool:
    """Whether `user` holds this server's staff role (checked by the bot, whatever Discord's
    command permissions say)."""
    guild = bot.guild
    role = names.role(guild, bot.server.role("staff")) if guild is not None else None
    return role is not None and isinstance(user, discord.Member) and role in user.roles


def _where(bot: HubBot, servers: list[str]) -> str:
    config = bot.services.config
    return ", ".join(f"« {config.discord[key].name} »" for key in servers)


class AnnounceModal(RoutedModal, title="Annonce de l'équipe"):
    """Titre and texte; where and whether to notify ride in the custom_id
    (`hub:annonce:<servers>:<0|1>`): routed (bots/modals.py), a fresh instance answers each
    submission, after a restart too, and two staff members writing at once each get theirs."""

    template = re.compile(r"hub:annonce:(?P<choice>[^:]+):(?P<notify>[01])")
    failure = "discord announcement failed"

    def __init__(self, choice: str, notify: bool) -> None:
        super().__init__(custom_id=f"hub:annonce:{choice}:{int(notify)}", timeout=None)
        self.choice, self.notify = choice, notify
        self.add_item(
            discord.ui.TextInput(label="Titre", custom_id="titre", max_length=staff_posts.TITLE_MAX)
        )
        self.add_item(
            discord.ui.TextInput(
                label="Texte",
                custom_id="texte",
                style=discord.TextStyle.paragraph,
                max_length=staff_posts.TEXT_MAX,
            )
        )

    @classmethod
    def rebuild(cls, match: re.Match[str]) -> AnnounceModal:
        return cls(match["choice"], match["notify"] == "1")

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        if not is_staff(bot, interaction.user):  # the custom_id alone is no proof
            await interaction.response.send_message(STAFF_ONLY, ephemeral=True)
            return
        try:
            titre, texte = self.value("titre"), self.value("texte")
            announcement = staff_posts.checked(titre, texte, self.notify)
            servers = staff_posts.servers_for(bot.services.config, self.choice)
        except UserError as exc:
            await interaction.response.send_message(f"Annonce non publiée : {exc}.", ephemeral=True)
            return
        from bots.cogs.announcements import announcement_embed

        notice = " avec notification @adhérent" if announcement.notify else ""
        await interaction.response.send_message(
            f"**Aperçu** : cette annonce sera publiée dans #annonces de {_where(bot, servers)}"
            f"{notice}.",
            embed=announcement_embed(announcement),
            view=PreviewView(announcement, servers),
            ephemeral=True,
        )


class PreviewView(discord.ui.View):
    def __init__(self, announcement: Announcement, servers: list[str]) -> None:
        super().__init__(timeout=PREVIEW_SECONDS)
        self.announcement, self.servers = announcement, servers

    @discord.ui.button(
        label="Publier", style=discord.ButtonStyle.success, custom_id="hub:annonce:publier"
    )
    async def publish(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        bot = _bot(interaction)
        if not is_staff(bot, interaction.user):
            await interaction.response.send_message(STAFF_ONLY, ephemeral=True)
            return
        await interaction.response.defer()
        author = f"discord:{interaction.user.id}"
        await staff_posts.queue(bot.services.db, self.servers, self.announcement, author)
        self.stop()
        drain = getattr(bot, "staff_posts_drain", None)
        if drain is not None and bot.server.key in self.servers:
            await drain()  # this server at once; the others' bots within seconds
        await interaction.edit_original_response(
            content=f"Annonce publiée dans #annonces de {_where(bot, self.servers)}.", view=None
        )

    @discord.ui.button(
        label="Annuler", style=discord.ButtonStyle.secondary, custom_id="hub:annonce:annuler"
    )
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Annonce annulée : rien n'a été publié.", embed=None, view=None
        )

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        log.error("discord announcement failed", exc_info=error)
        await apologise(interaction)
