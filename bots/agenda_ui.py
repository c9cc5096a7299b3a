"""The agenda's messages and buttons: an event's embed, « S'inscrire », « Se désinscrire »,
« Accepter la place », « Ne plus recevoir de rappels ici », and the questions' modal.

Buttons are `DynamicItem`s whose custom_id carries what they act on (`hub:inscrire:<event id>`,
`hub:desinscrire:<event id>`, `hub:accepter:<registration id>`, `hub:rappels-off`): a post made
before a restart works without reposting. Every click is acknowledged first (deferred, or a
modal opened) before anything slow; the service (`hub.community.agenda.Agenda`) decides, this
module only words its outcome in French.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bots.buttons import FixedButton, IdButton
from bots.identity_ui import identify_view
from bots.modals import RoutedModal, open_modal
from hub.community.agenda import (
    AnswerOnWeb,
    AskAnswers,
    NotIdentified,
    NotRegistered,
    NotShown,
    Post,
    SignedOff,
    SignedUp,
    SignOff,
    SignUp,
    SignUpRefused,
)
from hub.events.model import Event
from hub.events.wording import registration_state

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.agenda")

IDENTIFY_FIRST = (
    "Pour vous inscrire depuis Discord, identifiez-vous d'abord avec l'adresse e-mail que la "
    "fédération connaît : cliquez sur « Je m'identifie »."
)
NOT_SHOWN = "Cet événement n'est pas proposé sur ce serveur."
CANCELLED_COLOUR = discord.Colour.red()
COLOUR = discord.Colour.blurple()


def _bot(interaction: discord.Interaction[Any]) -> HubBot:
    return cast("HubBot", interaction.client)


def when(starts_at: int) -> str:
    """Discord timestamps: each member sees the date in their own clock."""
    return f"<t:{starts_at}:F> (<t:{starts_at}:R>)"


# --- The post ----------------------------------------------------------------------------------


def embed(post: Post) -> discord.Embed:
    title = f"« Annulé » — {post.title}" if post.cancelled else post.title
    shown = discord.Embed(
        title=title[:256],
        url=post.url,
        description=(post.description or "")[:1000] or None,
        colour=CANCELLED_COLOUR if post.cancelled else COLOUR,
    )
    if post.cancelled:
        shown.description = "**Cet événement est annulé.**"
    shown.add_field(name="Type", value=post.kind, inline=True)
    shown.add_field(name="Date", value=when(post.starts_at), inline=False)
    shown.add_field(name="Lieu", value=post.place, inline=True)
    if post.seats:
        shown.add_field(name="Places", value=post.seats, inline=True)
    shown.add_field(name="Qui peut venir", value=post.audience, inline=False)
    return shown


def post_view(post: Post) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RegisterButton(post.event_id, post.asks, disabled=post.cancelled))
    view.add_item(UnregisterButton(post.event_id, disabled=post.cancelled))
    view.add_item(discord.ui.Button(label="Page de l'événement", url=post.url))
    return view


def scheduled_event(post: Post) -> dict[str, Any]:
    """The Discord scheduled event of the server, as its REST body."""
    from datetime import UTC, datetime

    def iso(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, UTC).isoformat()

    return {
        "name": post.title[:100],
        "privacy_level": 2,
        "scheduled_start_time": iso(post.starts_at),
        "scheduled_end_time": iso(post.ends_at),
        "entity_type": 3,  # external: a place, or « En ligne »
        "entity_metadata": {"location": f"{post.place} — {post.url}"[:100]},
        "description": f"{post.kind} · {post.audience}\n{post.url}"[:1000],
    }


# --- Outcomes in French ----------------------------------------------------------------------


async def tell(interaction: discord.Interaction[Any], outcome: SignUp | SignOff) -> None:
    """The ephemeral follow-up of a deferred interaction, from what the service decided."""
    bot = _bot(interaction)
    view: discord.ui.View | None = None
    if isinstance(outcome, NotIdentified):
        text, view = IDENTIFY_FIRST, identify_view()
    elif isinstance(outcome, NotShown):
        text = NOT_SHOWN
    elif isinstance(outcome, SignUpRefused):
        text = outcome.reason
    elif isinstance(outcome, AnswerOnWeb):
        text = (
            f"« {outcome.event.title} » pose des questions qui se remplissent sur son formulaire "
            f"en ligne. Votre lien personnel (ne le partagez pas) : {outcome.url}"
        )
    elif isinstance(outcome, AskAnswers):
        text = "Répondez aux questions de l'inscription : cliquez à nouveau sur « S'inscrire »."
    elif isinstance(outcome, SignedUp):
        text = signed_up(outcome, bot)
    elif isinstance(outcome, NotRegistered):
        text = f"Vous n'êtes pas inscrit(e) à « {outcome.event.title} »."
    elif isinstance(outcome, SignedOff):
        text = (
            f"Votre inscription à « {outcome.event.title} » est annulée. "
            "Merci de nous avoir prévenus."
        )
    if view is None:
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.followup.send(text, ephemeral=True, view=view)


def signed_up(outcome: SignedUp, bot: HubBot) -> str:
    event, registration = outcome.event, outcome.registration
    title, start = event.title, when(int(event.starts_at.timestamp()))
    if not outcome.created:
        state = registration_state(
            registration.status,
            registration.position,
            registration.offer_expires_at,
            bot.services.config.tz,
        )
        return f"Vous êtes déjà inscrit(e) à « {title} » : {state}."
    if registration.status == "waitlisted":
        return (
            f"« {title} » est complet : vous êtes sur la liste d'attente, en position "
            f"{registration.position}. Si une place se libère, vous serez prévenu(e) par e-mail "
            "et par message privé."
        )
    return (
        f"C'est noté : vous êtes inscrit(e) à « {title} », {start}. La confirmation et "
        "l'invitation pour votre agenda partent par e-mail."
    )


# --- Buttons -----------------------------------------------------------------------------------


class RegisterButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hub:inscrire:(?P<id>[0-9]+)(?P<ask>:q)?",
):
    def __init__(
        self,
        event_id: int,
        asks: bool = False,
        *,
        label: str = "S'inscrire",
        disabled: bool = False,
    ) -> None:
        self.event_id, self.asks = event_id, asks
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.success,
                custom_id=f"hub:inscrire:{event_id}{':q' if asks else ''}",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RegisterButton:
        return cls(int(match["id"]), bool(match["ask"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await start_sign_up(interaction, self.event_id, self.asks)


async def start_sign_up(interaction: discord.Interaction[Any], event_id: int, asks: bool) -> None:
    """« S'inscrire » or `/inscription`: a modal at once when the event asks questions (two
    quick reads decide it: identified? shown here?), otherwise defer, then register."""
    bot = _bot(interaction)
    agenda, server = bot.services.agenda, bot.server.key
    if asks:
        person = await bot.services.identification.person_of(interaction.user.id, server=server)
        if person is None:
            await interaction.response.send_message(
                IDENTIFY_FIRST, ephemeral=True, view=identify_view()
            )
            return
        event = await agenda.find(server, event_id)
        if event is None:
            await interaction.response.send_message(NOT_SHOWN, ephemeral=True)
            return
        if event.questions:
            await open_modal(interaction, AnswersModal(event.id, event))
            return
    await interaction.response.defer(ephemeral=True, thinking=True)
    await tell(interaction, await agenda.sign_up(server, interaction.user.id, event_id))


class UnregisterButton(IdButton):
    """`target_id`: the event."""

    prefix = "hub:desinscrire"
    label = "Se désinscrire"
    style = discord.ButtonStyle.secondary

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        outcome = await bot.services.agenda.sign_off(
            bot.server.key, interaction.user.id, self.target_id
        )
        await tell(interaction, outcome)


class AcceptOfferButton(IdButton):
    """`target_id`: the waitlisted registration offered a seat."""

    prefix = "hub:accepter"
    label = "Accepter la place"
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(thinking=True)
        bot = _bot(interaction)
        outcome = await bot.services.agenda.accept_offer(
            bot.server.key, interaction.user.id, self.target_id
        )
        await tell(interaction, outcome)


class StopRemindersButton(FixedButton):
    prefix = "hub:rappels-off"
    label = "Ne plus recevoir les rappels sur Discord"
    style = discord.ButtonStyle.secondary

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(thinking=True)
        bot = _bot(interaction)
        done = await bot.services.agenda.stop_reminders(bot.server.key, interaction.user.id)
        text = (
            "C'est noté : plus de rappels par message privé. Les rappels par e-mail continuent."
            if done
            else IDENTIFY_FIRST
        )
        await interaction.followup.send(text)


# --- The questions' modal ------------------------------------------------------------------


class AnswersModal(RoutedModal):
    """The event's questions (text only, five at most: `modal_can_ask`); rebuilt from the
    event id alone at submission, the answers keyed by the questions' keys."""

    template = re.compile(r"hub:reponses:(?P<id>[0-9]+)")
    failure = "discord registration failed"

    def __init__(self, event_id: int, event: Event | None = None) -> None:
        super().__init__(
            title=f"Inscription : {event.title if event else ''}"[:45],
            custom_id=f"hub:reponses:{event_id}",
            timeout=None,
        )
        self.event_id = event_id
        for question in event.questions if event else ():
            field: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=question.label[:45],
                custom_id=question.key,
                required=question.required,
                max_length=500,
            )
            self.add_item(field)

    @classmethod
    def rebuild(cls, match: re.Match[str]) -> AnswersModal:
        return cls(int(match["id"]))

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        answers = dict(self.typed)
        outcome = await bot.services.agenda.sign_up(
            bot.server.key, interaction.user.id, self.event_id, answers
        )
        await tell(interaction, outcome)
