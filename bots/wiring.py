"""The bots in `hub run`: an aiohttp cleanup context, so they start after the database opens
and stop before it closes, like the hub's other background work.

Until `hub run` builds one `HubServices` for every channel (issue 10: the lead wires it, with
a generic adapter from an async context manager to a cleanup context), this builds the
services the bots need from the app's configuration and database; then this module reduces to
`running_bots(app[SERVICES_KEY])`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bots.runtime import running_bots
from hub.community.identity import Identification
from hub.community.role_sync import RoleSync
from hub.community.status import BotStatus
from hub.config import Config
from hub.db import Database
from hub.services import HubServices, Secrets
from hub.web import CONFIG_KEY, DB_KEY


def token_envs(config: Config) -> tuple[str, ...]:
    """The environment variables that hold the configured bots' tokens."""
    return tuple(server.token_env for server in config.discord.values())


def bot_services(config: Config, db: Database) -> HubServices:
    services = HubServices.build(
        config, db, Secrets.from_env(discord_token_envs=token_envs(config))
    )
    if not hasattr(services, "identification"):
        services.identification = Identification(  # type: ignore[attr-defined]
            db, config, people=services.subscribers, messenger=lambda: services.messenger
        )
    if not hasattr(services, "bot_status"):
        services.bot_status = BotStatus(db)  # type: ignore[attr-defined]
    if not hasattr(services, "role_sync"):
        services.role_sync = RoleSync(db, services.identification)  # type: ignore[attr-defined]
    return services


async def discord_bots(app: web.Application) -> AsyncIterator[None]:
    services = bot_services(app[CONFIG_KEY], app[DB_KEY])
    async with running_bots(services):  # type: ignore[arg-type]  # see the module docstring
        yield
