"""Fixtures for the Discord channel: the loopback stand-in Discord, checked at teardown, and
the hub's own bots configured for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bots.endpoints import apply_endpoints
from bots.runtime import HubBot, running_bots
from hub.config import Config
from hub.db import Database
from hub.services import HubServices
from loopback.discord import DiscordServer
from loopback.discord.community import add_community, configured, hub_services, token_env
from loopback.discord.mentions import mention_problems
from loopback.discord.state import App, Guild

WAIT = 10.0


@pytest.fixture
async def discord_server() -> AsyncIterator[DiscordServer]:
    """A stand-in Discord the bots are pointed at (both endpoint variables); the test fails if
    a bot used a route Discord lacks or sent a body Discord's contract refuses."""
    async with DiscordServer() as server:
        apply_endpoints(server.env)
        yield server
        apply_endpoints({})
    assert server.problems == []


@dataclass
class Community:
    """The two servers of the federation on the stand-in, and the hub configured for them."""

    discord: DiscordServer
    apps: dict[str, App]
    guilds: dict[str, Guild]
    config: Config
    services: HubServices

    def channel(self, server: str, name: str) -> dict[str, Any]:
        guild = self.guilds[server]
        return next(c for c in guild.channels.values() if c["name"] == name)

    def role_id(self, server: str, name: str) -> str:
        guild = self.guilds[server]
        return next(r["id"] for r in guild.roles.values() if r["name"] == name)

    def services_with(self, tokens: dict[str, str]) -> HubServices:
        """The same hub with other tokens in its environment (a token unset, refused…)."""
        return hub_services(self.config, self.services.db, tokens)

    @contextlib.asynccontextmanager
    async def bots(self, services: HubServices | None = None) -> AsyncIterator[list[HubBot]]:
        """`running_bots` as `hub run` enters it, until every started bot is connected (or
        stopped: a refused token)."""
        async with running_bots(
            services or self.services,
            env=self.discord.env,
            ready_timeout=0.2,
            role_sync_seconds=0.05,
        ) as bots:
            for bot in bots:
                waits = {
                    asyncio.create_task(bot.connected.wait()),
                    asyncio.create_task(bot.stopped.wait()),
                }
                _, pending = await asyncio.wait(
                    waits, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED
                )
                for task in pending:
                    task.cancel()
            yield bots


@pytest.fixture
async def community(
    discord_server: DiscordServer, config_path: Path, db: Database
) -> AsyncIterator[Community]:
    state = discord_server.state
    apps, guilds = add_community(discord_server)
    config = configured(config_path, guilds)
    assert config.discord["salaries"].guild_id == int(guilds["salaries"].id)
    yield Community(discord_server, apps, guilds, config, hub_services(config, db, token_env()))
    # Issue 12 §3, in every test of the hub's bots: no message they wrote could ping anyone
    # they did not name (`allowed_mentions` present, `parse` empty, on the wire).
    assert mention_problems(state.requests) == []
