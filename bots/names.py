"""Channels and roles as the configuration gives them: a name (what staff see) or an id (what
survives a rename). One resolver, so every cog finds #staff or « adhérent » the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import discord

Named = TypeVar("Named", discord.TextChannel, discord.Role)


def _by_name_or_id(items: Sequence[Named], wanted: str) -> Named | None:
    wanted = wanted.strip()
    if wanted.isdigit():
        found = next((item for item in items if item.id == int(wanted)), None)
        if found is not None:
            return found
    return next((item for item in items if item.name == wanted), None)


def text_channel(guild: discord.Guild, wanted: str) -> discord.TextChannel | None:
    return _by_name_or_id(guild.text_channels, wanted)


def role(guild: discord.Guild, wanted: str) -> discord.Role | None:
    return _by_name_or_id(guild.roles, wanted)
