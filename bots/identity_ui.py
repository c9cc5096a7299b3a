"""The buttons and modals of identification: « Je m'identifie » → e-mail modal → « Saisir le
code » → code modal → roles; and staff's « Valider comme adhérent » → modal → roles.

Buttons are `DynamicItem`s with fixed custom_id prefixes (`hub:identifier`, `hub:code`,
`hub:valider:<user id>`): discord.py routes a click by its custom_id alone, so a button posted
before a restart still works without reposting. Every interaction is acknowledged within
Discord's 3 seconds: a modal opens at once, and a modal's submission is deferred before the
database or the mail is touched.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bots import names
from bots.accounts import ROLE_LABELS, give_roles, role_list, spread_to_siblings
from bots.buttons import FixedButton, IdButton
from bots.modals import RoutedModal, open_modal
from hub.community.identity import (
    CODE_MINUTES,
    CodeExpired,
    Linked,
    TooManyCodes,
    UnknownStaffRole,
    WrongCode,
)
from hub.errors import UserError

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.identity")

SENT = (
    "Si cette adresse peut recevoir nos e-mails, un code à 6 chiffres vient d'y être envoyé "
    f"(valable {CODE_MINUTES} minutes). Cliquez sur « Saisir le code » pour le taper."
)


def _bot(interaction: discord.Interaction[Any]) -> HubBot:
    return cast("HubBot", interaction.client)


def identify_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(IdentifyButton())
    return view


def code_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EnterCodeButton())
    return view


# --- « Je m'identifie » -----------------------------------------------------------------------


class IdentifyButton(FixedButton):
    prefix = "hub:identifier"
    label = "Je m'identifie"
    style = discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await open_modal(interaction, EmailModal())


class EmailModal(RoutedModal, title="Identification"):
    template = re.compile(r"hub:identifier:email")
    failure = "discord identification failed"
    email: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Votre adresse e-mail",
        placeholder="prenom.nom@cpts-exemple.fr",
        custom_id="email",
        max_length=254,
    )

    def __init__(self) -> None:
        super().__init__(custom_id="hub:identifier:email", timeout=None)

    @classmethod
    def rebuild(cls, match: re.Match[str]) -> EmailModal:
        return cls()

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        try:
            outcome = await bot.services.identification.request_code(
                interaction.user.id, self.value("email"), server=bot.server.key
            )
        except UserError as exc:
            await interaction.followup.send(
                f"{_sentence(str(exc))} Vérifiez l'adresse et recommencez.",
                ephemeral=True,
                view=identify_view(),
            )
            return
        if isinstance(outcome, TooManyCodes):
            await interaction.followup.send(
                "Trop de codes demandés pour ce compte ou cette adresse : réessayez dans une "
                "heure.",
                ephemeral=True,
            )
            return
        await interaction.followup.send(SENT, ephemeral=True, view=code_view())


# --- « Saisir le code » ------------------------------------------------------------------------


class EnterCodeButton(FixedButton):
    prefix = "hub:code"
    label = "Saisir le code"
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await open_modal(interaction, CodeModal())


class CodeModal(RoutedModal, title="Code reçu par e-mail"):
    template = re.compile(r"hub:code:saisie")
    failure = "discord code check failed"
    code: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Le code à 6 chiffres", custom_id="code", min_length=6, max_length=12
    )

    def __init__(self) -> None:
        super().__init__(custom_id="hub:code:saisie", timeout=None)

    @classmethod
    def rebuild(cls, match: re.Match[str]) -> CodeModal:
        return cls()

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        identification = bot.services.identification
        outcome = await identification.confirm_code(
            interaction.user.id, self.value("code"), server=bot.server.key
        )
        if isinstance(outcome, WrongCode):
            if outcome.tries_left:
                text = f"Ce code n'est pas le bon. Il vous reste {outcome.tries_left} essai(s)."
                await interaction.followup.send(text, ephemeral=True, view=code_view())
            else:
                text = "Ce code n'est pas le bon et les essais sont épuisés : demandez-en un autre."
                await interaction.followup.send(text, ephemeral=True, view=identify_view())
            return
        if isinstance(outcome, CodeExpired):
            await interaction.followup.send(
                "Ce code a expiré ou a déjà servi : demandez-en un nouveau.",
                ephemeral=True,
                view=identify_view(),
            )
            return
        await _linked(bot, interaction, outcome)


async def _linked(bot: HubBot, interaction: discord.Interaction[Any], linked: Linked) -> None:
    await _answer_linked(bot, interaction, linked)
    await spread_to_siblings(bot, interaction.user.id)


async def _answer_linked(
    bot: HubBot, interaction: discord.Interaction[Any], linked: Linked
) -> None:
    if linked.roles:
        given = await give_roles(bot, interaction.user.id, linked.roles)
        text = (
            f"Merci, vous êtes identifié(e). Rôle(s) donné(s) : {role_list(given)}."
            if given
            else "Merci, vous êtes identifié(e). Vos rôles n'ont pas pu être donnés (un "
            "réglage du serveur) : signalez-le à l'équipe de la fédération."
        )
        await interaction.followup.send(text, ephemeral=True)
        return
    await interaction.followup.send(
        "Merci, vous êtes identifié(e). Votre adresse n'est pas (encore) celle d'un contact "
        "d'une CPTS adhérente : l'équipe de la fédération va vérifier et vous donner accès.",
        ephemeral=True,
    )
    await notify_staff(bot, interaction.user)


# --- staff: « Valider comme adhérent » -------------------------------------------------------


async def notify_staff(bot: HubBot, user: discord.abc.User) -> None:
    guild = bot.guild
    channel = names.text_channel(guild, bot.server.channel("staff")) if guild else None
    if channel is None:
        log.error(
            f"bot Discord « {bot.server.name} » : salon introuvable "
            f"([discord.{bot.server.key}].channels.staff)",
            extra={"server": bot.server.key},
        )
        return
    view = discord.ui.View(timeout=None)
    view.add_item(ValidateButton(user.id))
    await channel.send(
        f"{user.mention} s'est identifié(e) avec une adresse qui n'est pas celle d'un contact "
        "adhérent. Si c'est bien un contact d'une CPTS adhérente, validez-le.",
        view=view,
        allowed_mentions=discord.AllowedMentions.none(),
    )


class ValidateButton(IdButton):
    """`target_id`: the Discord user to validate."""

    prefix = "hub:valider"
    label = "Valider comme adhérent"
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        if not is_staff(bot, interaction.user):
            await interaction.response.send_message(
                "Seule l'équipe de la fédération peut valider une adhésion.", ephemeral=True
            )
            return
        await open_modal(interaction, ValidateModal(self.target_id))


async def close_notice(interaction: discord.Interaction[Any], user_id: int, what: str) -> None:
    """The notice in #staff says who validated, and its button is disabled: the next staff
    member to read it sees it is done (validating twice would only record the same)."""
    notice = interaction.message
    if notice is None:  # the modal was not opened from the notice's button
        return
    done = discord.ui.Button[discord.ui.View](
        label="Validé(e)",
        style=discord.ButtonStyle.secondary,
        custom_id=f"hub:valider:{user_id}",
        disabled=True,
    )
    view = discord.ui.View(timeout=None)
    view.add_item(done)
    text = f"{notice.content}\n✅ Validé(e) par {interaction.user.mention} : {what}."
    try:
        await notice.edit(content=text[:2000], view=view)
    except discord.HTTPException as exc:
        log.warning("discord staff notice not updated", extra={"status": exc.status})


def is_staff(bot: HubBot, user: discord.abc.User) -> bool:
    guild = bot.guild
    staff = names.role(guild, bot.server.role("staff")) if guild else None
    return isinstance(user, discord.Member) and staff is not None and staff in user.roles


class ValidateModal(RoutedModal, title="Valider comme adhérent"):
    template = re.compile(r"hub:valider:(?P<user>[0-9]+):saisie")
    failure = "discord member validation failed"
    role: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Rôle : salarie, coordinateur ou elu", custom_id="role", max_length=20
    )
    cpts: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="CPTS", custom_id="cpts", max_length=200
    )

    def __init__(self, user_id: int) -> None:
        super().__init__(custom_id=f"hub:valider:{user_id}:saisie", timeout=None)
        self.user_id = user_id

    @classmethod
    def rebuild(cls, match: re.Match[str]) -> ValidateModal:
        return cls(int(match["user"]))

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        role, cpts = _plain(self.value("role")), self.value("cpts").strip()
        try:
            roles = await bot.services.identification.validate_member(
                self.user_id,
                role,
                cpts,
                interaction.user.name,
                server=bot.server.key,
            )
        except UnknownStaffRole:
            await interaction.followup.send(
                f"Rôle inconnu « {self.value('role')} » : tapez salarie, coordinateur ou elu.",
                ephemeral=True,
            )
            return
        except UserError as exc:
            await interaction.followup.send(_sentence(str(exc)), ephemeral=True)
            return
        given = await give_roles(bot, self.user_id, roles)
        await close_notice(interaction, self.user_id, f"{ROLE_LABELS.get(role, role)}, {cpts}")
        await interaction.followup.send(
            f"Adhésion enregistrée pour <@{self.user_id}> ; rôle(s) donné(s) : {role_list(given)}.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        await spread_to_siblings(bot, self.user_id)


def _plain(text: str) -> str:
    """« Salarié », « élu » → the record's role keys."""
    table = str.maketrans("éèê", "eee")
    return text.strip().lower().translate(table)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
