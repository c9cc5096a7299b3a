"""The hub's bots: one `discord.Client` per configured server, all in the hub's event loop.

`running_bots(services)` is a plain async context manager: `hub run` enters it with its other
background work and leaves it on shutdown. Each bot lives or dies alone: a server with no
token or `guild_id = 0` is off (one log line), a token Discord refuses stops that bot only
(one French error line), and neither touches the web, the mail or the scheduler.

Intents are `guilds` and `members` (privileged: needed to see who joins), never message
content; members are not chunked at startup (the bots look members up when they need them).
Slash commands are registered per guild at start, only when their payload changed since the
last registration (its hash is kept in the bot status table: Discord limits command writes).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from types import ModuleType
from typing import Any

import discord
from discord import app_commands

from bots.endpoints import EndpointError, apply_endpoints
from bots.modals import RoutedModal, answer_if_forgotten, apologise, route_modal
from bots.services import BotServices
from bots.unavailable import retry_unavailable
from hub.community.servers import ServerConfig

log = logging.getLogger("bots")

READY_TIMEOUT_SECONDS = 2.0  # discord.py waits this long after the last GUILD_CREATE
ROLE_SYNC_SECONDS = 10.0  # how soon a withdrawn membership or an erasure takes roles back
RETRY_SECONDS = 1.0  # the first pause before a failed start-up step is tried again (doubling)
RETRIES = 5
STOP_TIMEOUT_SECONDS = 10.0


def _cogs() -> list[ModuleType]:
    """The features, one module each; each has `async def setup(bot, services)`."""
    from bots.cogs import agenda, announcements, identity, news, questions, roles

    return [identity, roles, agenda, news, announcements, questions]


class HubBot(discord.Client):
    """The bot of one server: its config, the services, its command tree."""

    def __init__(
        self,
        server: ServerConfig,
        services: BotServices,
        *,
        ready_timeout: float = READY_TIMEOUT_SECONDS,
        role_sync_seconds: float = ROLE_SYNC_SECONDS,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.members = True
        super().__init__(
            intents=intents,
            chunk_guilds_at_startup=False,
            guild_ready_timeout=ready_timeout,
            # No post of the bots pings anyone unless a post says so (issue 12 §3).
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.server = server
        self.services = services
        self.role_sync_seconds = role_sync_seconds
        self.retry_seconds = RETRY_SECONDS
        retry_unavailable(self.http, lambda: self.retry_seconds, server.key)
        self.background: list[asyncio.Task[None]] = []  # cogs' loops, cancelled by `close`
        self.tree: app_commands.CommandTree[HubBot] = app_commands.CommandTree(self)
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self.guild_ref = discord.Object(server.guild_id)
        # The other bots of this hub (set by `running_bots`): one account is one person in
        # every server, so an identification here is carried to them (bots/accounts.py).
        self.siblings: list[HubBot] = []
        # The hub's modals, answered by class whatever the restarts (bots/modals.py).
        self.modal_routes: list[type[RoutedModal]] = []
        self.connected = asyncio.Event()  # set at each READY or RESUMED
        self.stopped = asyncio.Event()  # set once the bot stopped for good (closed, refused)
        # Called at each READY (after a start or a new session): cogs keep their messages.
        self.on_ready_hooks: list[Callable[[], Awaitable[None]]] = []
        # Called when someone joins this bot's server (the members intent).
        self.member_join_hooks: list[Callable[[discord.Member], Awaitable[None]]] = []

    # --- start --------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        for cog in _cogs():
            await cog.setup(self, self.services)
        await self.sync_commands()

    def commands_hash(self) -> str:
        """A hash of exactly what a sync would send Discord for this guild."""
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=self.guild_ref)]
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync_commands(self) -> bool:
        """Register this guild's commands if they changed since the last time; True if sent."""
        wanted = self.commands_hash()
        record = await self.services.bot_status.get(self.server.key)
        if record.commands_hash == wanted:
            return False
        await self.tree.sync(guild=self.guild_ref)
        await self.services.bot_status.commands_registered(self.server.key, wanted)
        log.info("discord commands registered", extra={"server": self.server.key})
        return True

    async def on_ready(self) -> None:
        await self.services.bot_status.connected(self.server.key)
        if self.get_guild(self.server.guild_id) is None:
            log.error(
                f"bot Discord « {self.server.name} » : il n'est pas membre du serveur "
                f"{self.server.guild_id} ([discord.{self.server.key}].guild_id) ; invitez-le "
                "avec le lien de « hub discord invite »",
                extra={"server": self.server.key},
            )
        else:
            log.info("discord bot connected", extra={"server": self.server.key})
        for index, hook in enumerate(self.on_ready_hooks):
            try:
                await hook()
            except discord.HTTPException as exc:
                # Discord's 5xx that discord.py does not retry (503) or gave up on: try again
                # in the background, with a growing pause, rather than wait for the next READY.
                log.warning(
                    "discord ready hook failed: retrying",
                    extra={"server": self.server.key, "status": exc.status},
                )
                self.start_background(f"ready-retry-{index}", functools.partial(self._retry, hook))
        self.connected.set()

    async def _retry(self, hook: Callable[[], Awaitable[None]]) -> None:
        pause = self.retry_seconds
        for _ in range(RETRIES):
            await asyncio.sleep(pause)
            try:
                await hook()
                return
            except discord.HTTPException as exc:
                log.warning(
                    "discord ready hook failed again",
                    extra={"server": self.server.key, "status": exc.status},
                )
            pause *= 2
        log.error(
            f"bot Discord « {self.server.name} » : Discord a refusé {RETRIES + 1} fois de suite ; "
            "nouvel essai à la prochaine connexion",
            extra={"server": self.server.key},
        )

    async def on_member_join(self, member: discord.Member) -> None:
        if member.guild.id != self.server.guild_id:
            return
        for hook in self.member_join_hooks:
            await hook(member)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """The hub's modals are routed here; any interaction is answered if nothing did."""
        if interaction.type is discord.InteractionType.modal_submit and await route_modal(
            interaction, self.modal_routes
        ):
            return
        await answer_if_forgotten(interaction)

    async def on_resumed(self) -> None:
        await self.services.bot_status.connected(self.server.key)
        self.connected.set()

    def start_background(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a cog's loop once per bot (not again at each READY) until the bot closes."""
        if any(task.get_name() == name and not task.done() for task in self.background):
            return
        self.background.append(asyncio.create_task(work(), name=name))

    async def close(self) -> None:
        for task in self.background:
            task.cancel()
        await super().close()

    @property
    def guild(self) -> discord.Guild | None:
        return self.get_guild(self.server.guild_id)

    async def _on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """The member gets a French apology, the log the details; never silence."""
        log.error(
            "discord command failed",
            exc_info=error,
            extra={"server": self.server.key},
        )
        await apologise(interaction)

    # --- run ----------------------------------------------------------------------------------

    async def run_until_stopped(self, token: str) -> None:
        """Log in and stay connected (discord.py resumes and reconnects) until `close`; a
        refused token is one French error line and this bot alone stops."""
        try:
            await self.start(token)
        except discord.LoginFailure:
            log.error(
                f"bot Discord « {self.server.name} » : Discord refuse le jeton de "
                f"{self.server.token_env} ; ce bot s'arrête, le reste du hub continue",
                extra={"server": self.server.key},
            )
        except discord.PrivilegedIntentsRequired:
            log.error(
                f"bot Discord « {self.server.name} » : activez « Server Members Intent » dans "
                "le portail des développeurs Discord ; ce bot s'arrête, le reste du hub continue",
                extra={"server": self.server.key},
            )
        except Exception:
            log.exception("discord bot stopped", extra={"server": self.server.key})
        finally:
            if not self.is_closed():
                await self.close()
            self.stopped.set()


def configured_bots(
    services: BotServices,
    *,
    ready_timeout: float = READY_TIMEOUT_SECONDS,
    role_sync_seconds: float = ROLE_SYNC_SECONDS,
) -> list[tuple[HubBot, str]]:
    """The bots to start with their tokens; one log line per bot that stays off."""
    bots = []
    for server in services.config.discord.values():
        token = services.secrets.discord_tokens.get(server.token_env, "")
        if not server.enabled:
            log.info(
                f"bot Discord « {server.name} » désactivé : [discord.{server.key}].guild_id = 0",
                extra={"server": server.key},
            )
        elif not token:
            log.info(
                f"bot Discord « {server.name} » désactivé : {server.token_env} n'est pas définie",
                extra={"server": server.key},
            )
        else:
            bot = HubBot(
                server, services, ready_timeout=ready_timeout, role_sync_seconds=role_sync_seconds
            )
            bots.append((bot, token))
    return bots


@contextlib.asynccontextmanager
async def running_bots(
    services: BotServices,
    *,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = READY_TIMEOUT_SECONDS,
    role_sync_seconds: float = ROLE_SYNC_SECONDS,
) -> AsyncIterator[list[HubBot]]:
    """Start every configured bot in the running loop; stop them all on exit."""
    try:
        apply_endpoints(os.environ if env is None else env)
    except EndpointError as exc:
        log.error(f"bots Discord désactivés : {exc}")
        yield []
        return
    started = configured_bots(
        services, ready_timeout=ready_timeout, role_sync_seconds=role_sync_seconds
    )
    for bot, _ in started:
        bot.siblings = [other for other, _ in started if other is not bot]
    tasks = [
        asyncio.create_task(bot.run_until_stopped(token), name=f"discord-{bot.server.key}")
        for bot, token in started
    ]
    try:
        yield [bot for bot, _ in started]
    finally:
        for bot, _ in started:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bot.close(), STOP_TIMEOUT_SECONDS)
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_TIMEOUT_SECONDS)
        for task in tasks:
            task.cancel()
