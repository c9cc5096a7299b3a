"""What members do in the tests, in Discord's terms: click a bot's button, submit a modal, type
a slash command, and wait for the bot's answer (bounded waits)."""

from __future__ import annotations

from typing import Any

from loopback.discord import DiscordServer, payloads
from loopback.discord.state import Guild, Interaction

WAIT = 10.0


def button_ids(message: dict[str, Any]) -> list[str]:
    """The custom ids of a message's buttons (link buttons have none)."""
    return [
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if "custom_id" in c
    ]


async def click(
    discord: DiscordServer,
    guild: Guild,
    member: dict[str, Any],
    message: dict[str, Any],
    custom_id: str,
) -> Interaction:
    """Click a button of `message`; returns once the bot answered (its callback)."""
    assert custom_id in button_ids(message), button_ids(message)
    channel = discord.state.channels.get(message["channel_id"])
    context = discord.context(guild, member, channel if channel and "guild_id" in channel else None)
    sent = await discord.send(payloads.button_click(message, custom_id, **context))
    await discord.wait_until(lambda: sent.callback, WAIT)
    return sent


async def submit(
    discord: DiscordServer,
    guild: Guild,
    member: dict[str, Any],
    opened: Interaction,
    values: dict[str, str],
) -> Interaction:
    """Fill in and submit the modal `opened` showed; returns once the bot's follow-up came."""
    assert opened.callback is not None and opened.callback["type"] == 9, opened.callback
    modal = opened.callback["data"]
    # A modal opened by a button comes back with the button's message, as Discord sends it.
    message = opened.payload.get("message")
    sent = await discord.send(
        payloads.modal_submit(
            modal["custom_id"], values, message=message, **discord.context(guild, member)
        )
    )
    await discord.wait_until(lambda: sent.followups, WAIT)
    return sent


async def slash(
    discord: DiscordServer, guild: Guild, member: dict[str, Any], name: str
) -> Interaction:
    command = next(c for c in guild.commands if c["name"] == name)
    sent = await discord.send(payloads.slash_command(command, **discord.context(guild, member)))
    # Answered: at once, or deferred and then followed up.
    await discord.wait_until(
        lambda: sent.callback and (sent.callback["type"] != 5 or sent.followups), WAIT
    )
    return sent


def answer(interaction: Interaction) -> dict[str, Any]:
    """The one ephemeral follow-up of a deferred interaction."""
    assert interaction.callback == {"type": 5, "data": {"flags": 64}}, interaction.callback
    (followup,) = interaction.followups
    assert followup["flags"] & 64, "the answer must be ephemeral"
    return followup
