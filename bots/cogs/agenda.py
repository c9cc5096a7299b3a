"""The agenda in Discord: the events posted in #agenda (with their scheduled events), kept up to
date by polling, `/agenda`, `/inscription`, `/mes-inscriptions`, and the DMs owed (a seat
offered, reminders).

Events are published from the CLI in another process too: the bot polls every `POLL_SECONDS`
(`Agenda.due` says what to post, edit or mark cancelled), so an event appears within 10 s. A
post Discord refuses (a 5xx) is not recorded, and so is tried again at the next poll: it is
posted once. A member whose DMs are closed (50007) is logged once; their DMs are dropped, never
retried, and their e-mails go out as always.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bots import names
from bots.agenda_ui import (
    NOT_SHOWN,
    AcceptOfferButton,
    AnswersModal,
    RegisterButton,
    StopRemindersButton,
    UnregisterButton,
    embed,
    post_view,
    scheduled_event,
    start_sign_up,
    when,
)
from bots.identity_ui import identify_view
from bots.services import BotServices
from hub.community.agenda import DirectMessage, PostDue, modal_can_ask
from hub.events.model import Event
from hub.events.wording import registration_state

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.agenda")

POLL_SECONDS = 3.0
DMS_CLOSED = 50007
SHOWN_IN_A_LIST = 10  # events per ephemeral list (Discord: 25 buttons, 2 per event)


async def setup(bot: HubBot, services: BotServices) -> None:
    bot.add_dynamic_items(RegisterButton, UnregisterButton, AcceptOfferButton, StopRemindersButton)
    bot.modal_routes.append(AnswersModal)
    guild, server = bot.guild_ref, bot.server.key

    @app_commands.command(name="agenda", description="Les prochains événements de la fédération")
    async def agenda(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        person = await services.identification.person_of(interaction.user.id, server=server)
        events = await services.agenda.upcoming(server, person)
        if not events:
            await interaction.followup.send(
                "Aucun événement à venir pour le moment.", ephemeral=True
            )
            return
        view = discord.ui.View(timeout=None)
        lines = []
        for event in events[:SHOWN_IN_A_LIST]:
            lines.append(f"**{event.title}** — {when(int(event.starts_at.timestamp()))}")
            view.add_item(
                RegisterButton(event.id, _asks(event), label=f"S'inscrire : {event.title}")
            )
        text = "\n".join(lines)
        if person is None:
            text += "\n\nPour vous inscrire, identifiez-vous d'abord (« Je m'identifie »)."
        await interaction.followup.send(text, ephemeral=True, view=view)

    @app_commands.command(name="inscription", description="S'inscrire à un événement")
    @app_commands.describe(evenement="L'événement")
    async def inscription(interaction: discord.Interaction[Any], evenement: str) -> None:
        event = await services.agenda.find(server, evenement)
        if event is None:
            await interaction.response.send_message(NOT_SHOWN, ephemeral=True)
            return
        await start_sign_up(interaction, event.id, _asks(event))

    @inscription.autocomplete("evenement")
    async def inscription_choices(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await services.agenda.search(server, current)
        return [app_commands.Choice(name=e.title[:100], value=str(e.id)) for e in found]

    @app_commands.command(name="mes-inscriptions", description="Vos inscriptions aux événements")
    async def mes_inscriptions(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        mine = await services.agenda.mine(server, interaction.user.id)
        if mine is None:
            await interaction.followup.send(
                "Identifiez-vous d'abord : cliquez sur « Je m'identifie ».",
                ephemeral=True,
                view=identify_view(),
            )
            return
        if not mine:
            await interaction.followup.send("Aucune inscription à venir.", ephemeral=True)
            return
        view = discord.ui.View(timeout=None)
        lines = []
        for event, registration in mine[:SHOWN_IN_A_LIST]:
            state = registration_state(
                registration.status,
                registration.position,
                registration.offer_expires_at,
                services.config.tz,
            )
            lines.append(f"**{event.title}** — {when(int(event.starts_at.timestamp()))} : {state}")
            view.add_item(UnregisterButton(event.id, label=f"Se désinscrire : {event.title}"))
        await interaction.followup.send("\n".join(lines), ephemeral=True, view=view)

    bot.tree.add_command(agenda, guild=guild)
    bot.tree.add_command(inscription, guild=guild)
    bot.tree.add_command(mes_inscriptions, guild=guild)
    bot.on_ready_hooks.append(functools.partial(_start, bot))


def _asks(event: Event) -> bool:
    return bool(event.questions) and modal_can_ask(event)


async def _start(bot: HubBot) -> None:
    bot.start_background("agenda", functools.partial(poll, bot))


async def poll(bot: HubBot) -> None:
    """Keep the posts and DMs of this server up to date until the bot closes."""
    while True:
        try:
            await sync_posts(bot)
            await send_dms(bot)
        except asyncio.CancelledError:
            raise
        except discord.HTTPException as exc:
            log.warning(
                "discord agenda: Discord refused, trying again at the next poll",
                extra={"server": bot.server.key, "status": exc.status},
            )
        except Exception:
            log.exception("discord agenda poll failed", extra={"server": bot.server.key})
        await asyncio.sleep(POLL_SECONDS)


async def sync_posts(bot: HubBot) -> int:
    """Write every post due in this server; how many were written."""
    guild, server = bot.guild, bot.server
    if guild is None:
        return 0
    channel = names.text_channel(guild, server.channel("agenda"))
    if channel is None:
        log.error(
            f"bot Discord « {server.name} » : salon introuvable "
            f"([discord.{server.key}].channels.agenda = « {server.channel('agenda')} »)",
            extra={"server": server.key},
        )
        return 0
    due = await bot.services.agenda.due(server.key)
    for work in due:
        await _write(bot, guild, channel, work)
    return len(due)


async def _write(
    bot: HubBot, guild: discord.Guild, channel: discord.TextChannel, work: PostDue
) -> None:
    agenda, server, post = bot.services.agenda, bot.server.key, work.post
    if work.record is None or work.action == "recover":
        message = None
        if work.record is None:
            await agenda.posting(server, post, channel_id=channel.id)
        else:
            message = await _find_post(bot, channel, post.event_id)
        if message is None:
            message = await channel.send(embed=embed(post), view=post_view(post))
        await agenda.posted(
            server, post, channel_id=channel.id, message_id=message.id, scheduled_event_id=None
        )
        scheduled = await _scheduled(bot, guild, work, None)
        await agenda.edited(server, post, scheduled)
        return
    target = bot.get_channel(work.record.channel_id)
    if not isinstance(target, discord.TextChannel):
        target = channel
    try:
        await target.get_partial_message(work.record.message_id).edit(
            embed=embed(post),
            view=post_view(post),
            # discord.py sends the client's default only with `content`: ping nobody anyway.
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.NotFound:
        log.info("discord agenda post gone: posting it again", extra={"server": server})
        await agenda.forget(server, post.event_id)
        return
    scheduled = work.record.scheduled_event_id
    if work.action == "edit":
        scheduled = await _scheduled(bot, guild, work, scheduled)
    await agenda.edited(server, post, scheduled)


async def _find_post(
    bot: HubBot, channel: discord.TextChannel, event_id: int
) -> discord.Message | None:
    """The bot's post of this event among the channel's last messages (a stop interrupted
    its bookkeeping), found by its button's custom_id."""
    wanted = f"hub:inscrire:{event_id}"
    async for message in channel.history(limit=100):
        if bot.user is None or message.author.id != bot.user.id:
            continue
        for row in message.components:
            for item in getattr(row, "children", []):
                custom_id = getattr(item, "custom_id", None) or ""
                if custom_id == wanted or custom_id.startswith(wanted + ":"):
                    return message
    return None


async def _scheduled(
    bot: HubBot, guild: discord.Guild, work: PostDue, scheduled_id: int | None
) -> int | None:
    """The server's scheduled event: created with the post, updated, cancelled with the event.
    Its failure never blocks the post (it is tried again when the event next changes)."""
    post = work.post
    try:
        if scheduled_id is None:
            if post.cancelled or post.starts_at <= int(discord.utils.utcnow().timestamp()):
                return None
            created = await bot.http.create_guild_scheduled_event(guild.id, **scheduled_event(post))
            return int(created["id"])
        if post.cancelled:
            await bot.http.edit_scheduled_event(guild.id, scheduled_id, status=4)
        else:
            await bot.http.edit_scheduled_event(guild.id, scheduled_id, **scheduled_event(post))
    except discord.HTTPException as exc:
        log.warning(
            "discord scheduled event refused",
            extra={"server": bot.server.key, "status": exc.status},
        )
    return scheduled_id


# --- Direct messages ---------------------------------------------------------------------------


async def send_dms(bot: HubBot) -> int:
    sent = 0
    for message in await bot.services.agenda.pending_dms(bot.server.key):
        if await _send_dm(bot, message):
            sent += 1
    return sent


async def _send_dm(bot: HubBot, message: DirectMessage) -> bool:
    agenda, event = bot.services.agenda, message.event
    start = when(int(event.starts_at.timestamp()))
    view = discord.ui.View(timeout=None)
    if message.kind == "offered":
        expires = message.registration.offer_expires_at
        deadline = f"<t:{int(expires.timestamp())}:F>" if expires else "bientôt"
        text = (
            f"Une place s'est libérée pour « {event.title} » ({start}) : elle vous est réservée "
            f"jusqu'au {deadline}. Acceptez-la avant, sinon elle ira à la personne suivante."
        )
        view.add_item(AcceptOfferButton(message.registration.id))
    else:
        text = f"Rappel : « {event.title} » commence {start}. L'e-mail de rappel a les détails."
        view.add_item(StopRemindersButton())
    # Claimed before it is sent: a bot stopped meanwhile never sends it twice (the e-mail
    # went anyway); a refusal other than closed DMs puts it back for the next poll.
    await agenda.dm_done(message.id, "sent")
    try:
        channel = await bot.create_dm(discord.Object(message.discord_user_id))
        await channel.send(text, view=view)
    except discord.Forbidden as exc:
        if exc.code != DMS_CLOSED:
            await agenda.dm_done(message.id, "pending")
            raise
        log.info(
            "discord DM refused: the member's DMs are closed (e-mail only)",
            extra={"server": bot.server.key, "user": message.discord_user_id},
        )
        await agenda.dms_closed(message.id, message.discord_user_id)
        return False
    except discord.HTTPException:
        await agenda.dm_done(message.id, "pending")
        raise
    return True
