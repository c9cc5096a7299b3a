"""The modal of `/question` and the staff's buttons in its thread: « Pris en charge » and
« Résolu ».

Buttons are `DynamicItem`s carrying the question's id (`hub:question:prise:<id>`,
`hub:question:resolue:<id>`): they work after a restart. Only the staff role may use them (the
member sees them in their thread and is told so). Each click is deferred before the database.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bots import names
from bots.announcements_ui import is_staff
from bots.buttons import IdButton
from bots.modals import RoutedModal
from hub.community.questions import CATEGORIES, Questions
from hub.errors import UserError

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.questions")

NO_MENTIONS = discord.AllowedMentions.none()
STAFF_ONLY = "Ce bouton est réservé à l'équipe de la fédération."
THREAD_NAME_MAX = 100  # Discord's limit for a channel's name


def _bot(interaction: discord.Interaction[Any]) -> HubBot:
    return cast("HubBot", interaction.client)


def questions_of(bot: HubBot) -> Questions:
    """The process's questions service (one per process: the rate limit counts across both
    servers)."""
    return bot.services.questions


def question_view(question_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(TakeButton(question_id))
    view.add_item(ResolveButton(question_id))
    return view


async def _thread(bot: HubBot, thread_id: int) -> discord.Thread | None:
    channel = bot.get_channel(thread_id)
    if channel is None:
        try:
            channel = await bot.fetch_channel(thread_id)
        except discord.NotFound:
            return None
    return channel if isinstance(channel, discord.Thread) else None


class QuestionModal(RoutedModal, title="Question à l'équipe"):
    """Sujet, question and the category (a select inside the modal: Discord's labels).

    Routed (bots/modals.py): a fresh instance answers each submission, with what that member
    chose and typed, after a restart too."""

    template = re.compile(r"hub:question:modal")
    failure = "discord question failed"

    def __init__(self) -> None:
        super().__init__(custom_id="hub:question:modal", timeout=None)
        self.sujet: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="sujet", max_length=80
        )
        self.question: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="question", style=discord.TextStyle.paragraph, max_length=4000
        )
        self.categorie: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="categorie",
            options=[
                discord.SelectOption(label=label, value=key) for key, label in CATEGORIES.items()
            ],
            min_values=1,
            max_values=1,
        )
        self.add_item(discord.ui.Label(text="Catégorie", component=self.categorie))
        self.add_item(discord.ui.Label(text="Sujet", component=self.sujet))
        self.add_item(discord.ui.Label(text="Votre question", component=self.question))

    @classmethod
    def rebuild(cls, match: re.Match[str]) -> QuestionModal:
        return cls()

    @property
    def category(self) -> str:
        return self.value("categorie") or "autre"

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        from bots.cogs.questions import open_thread

        try:
            thread = await open_thread(
                bot, interaction.user, self.category, self.value("sujet"), self.value("question")
            )
        except UserError as exc:
            await interaction.followup.send(f"Question non envoyée : {exc}.", ephemeral=True)
            return
        await interaction.followup.send(
            f"Votre question est posée dans {thread.mention}, un fil privé entre vous et "
            "l'équipe : la réponse viendra là.",
            ephemeral=True,
        )


async def _staff_bot(interaction: discord.Interaction[Any]) -> HubBot | None:
    """The bot, when a member of the staff clicked; otherwise the member is told, and None."""
    bot = _bot(interaction)
    if is_staff(bot, interaction.user):
        return bot
    await interaction.response.send_message(STAFF_ONLY, ephemeral=True)
    return None


class TakeButton(IdButton):
    """`target_id`: the question."""

    prefix = "hub:question:prise"
    label = "Pris en charge"
    style = discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = await _staff_bot(interaction)
        if bot is None:
            return
        await interaction.response.defer()
        question = await questions_of(bot).take(self.target_id, interaction.user.id)
        if question.status == "resolved":
            await interaction.followup.send("Cette question est déjà résolue.", ephemeral=True)
            return
        await interaction.followup.send(
            f"Question prise en charge par {interaction.user.mention}.",
            allowed_mentions=NO_MENTIONS,
        )


class ResolveButton(IdButton):
    """`target_id`: the question."""

    prefix = "hub:question:resolue"
    label = "Résolu"
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = await _staff_bot(interaction)
        if bot is None:
            return
        await interaction.response.defer()
        question = await questions_of(bot).resolve(self.target_id, interaction.user.id)
        member = discord.Object(question.discord_user_id)
        await interaction.followup.send(
            f"Merci <@{question.discord_user_id}> pour votre question : l'équipe la considère "
            "résolue et ferme ce fil. Pour une nouvelle question, tapez /question.",
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[member]),
        )
        thread = await _thread(bot, question.thread_id) if question.thread_id else None
        if thread is not None:
            await thread.edit(archived=True, locked=True)


def category_label(category: str) -> str:
    return CATEGORIES.get(category, category)


def staff_role(bot: HubBot) -> discord.Role | None:
    guild = bot.guild
    return names.role(guild, bot.server.role("staff")) if guild is not None else None
