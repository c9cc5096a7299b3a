"""The stand-in Discord as one object: an aiohttp app on 127.0.0.1 (a random port) serving
the REST API under /api/v10 and the gateway at /gateway, for one bot (one token, one
application) or more (`add_app`: the hub's two bots share it, as they share discord.py's
process-wide endpoints; each guild belongs to one bot, which alone sees it).

    async with DiscordServer() as discord_server:
        apply_endpoints(discord_server.env)  # HUB_DISCORD_API_URL / HUB_DISCORD_GATEWAY_URL
        guild = discord_server.add_guild("CPTS du Val")
        ...
        await discord_server.send(payloads.slash_command(command, {"nom": "x"},
                                                          **discord_server.context(guild, member)))
        await discord_server.wait_until(lambda: ...)
        assert discord_server.problems == []
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Self

from aiohttp import web

from loopback.discord import interactions, routes
from loopback.discord.contract import discord_contract
from loopback.discord.gateway import Gateway
from loopback.discord.rest import Rest
from loopback.discord.state import App, Fault, Guild, Interaction, Request, State

DEFAULT_TOKEN = "stand-in.bot.token"  # not a secret: only this stand-in accepts it
_ = (routes, interactions)  # their routes register on import


class DiscordServer:
    def __init__(self, *, token: str = DEFAULT_TOKEN, heartbeat_interval_ms: int = 41_250) -> None:
        self.state = State(token)
        self.gateway = Gateway(self.state, heartbeat_interval_ms=heartbeat_interval_ms)
        self.rest = Rest(self.state, discord_contract(), lambda: self.gateway.url)
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"127.0.0.1:{port}"
        self.gateway.url = f"ws://{self.base}/gateway"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- where it is ---------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://{self.base}/api/v10"

    @property
    def env(self) -> dict[str, str]:
        """The environment that points the hub's bots here."""
        return {"HUB_DISCORD_API_URL": self.api_url, "HUB_DISCORD_GATEWAY_URL": self.gateway.url}

    @property
    def token(self) -> str:
        return self.state.token

    # --- the world, and what members do --------------------------------------------------------

    def add_app(self, token: str, bot_name: str) -> App:
        """Another application with its bot and token (the first is made with the server)."""
        return self.state.add_app(token, bot_name)

    def add_guild(
        self, name: str, channels: tuple[str, ...] = ("général",), app: App | None = None
    ) -> Guild:
        """A guild for `app`'s bot (the first application's by default)."""
        return self.state.add_guild(name, channels, app)

    def add_member(self, guild: Guild, name: str, *, dms_open: bool = True) -> dict[str, Any]:
        return self.state.add_member(guild, name, dms_open=dms_open)

    def context(
        self, guild: Guild, member: dict[str, Any], channel: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The keyword arguments of the `payloads` interaction builders."""
        return {
            "application_id": self.state.app_of_guild(guild.id).application_id,
            "guild_id": guild.id,
            "channel": channel or next(iter(guild.channels.values())),
            "member": member,
        }

    async def send(self, interaction: dict[str, Any]) -> Interaction:
        """Send INTERACTION_CREATE (built with `payloads`); the returned record fills in as the
        bot answers (`callback`, `original`, `followups`)."""
        record = Interaction(payload=interaction, sent_at=time.monotonic())
        self.state.interactions[interaction["token"]] = record
        await self.gateway.dispatch("INTERACTION_CREATE", interaction)
        return record

    async def member_joins(self, guild: Guild, name: str, **options: Any) -> dict[str, Any]:
        """A new member arrives: GUILD_MEMBER_ADD (the members intent lets the bot see it)."""
        member = self.state.add_member(guild, name, **options)
        await self.gateway.dispatch("GUILD_MEMBER_ADD", member | {"guild_id": guild.id})
        return member

    async def drop(self, code: int = 4000, app: App | None = None) -> None:
        await self.gateway.drop(code, app)

    @contextlib.asynccontextmanager
    async def offline(self, code: int = 4000) -> AsyncIterator[None]:
        """Drop the bot's gateway connection and keep it out until the block ends: what is
        dispatched inside is certainly missed, and must reach the bot through its RESUME."""
        self.gateway.open.clear()
        try:
            await self.gateway.drop(code)
            yield
        finally:
            self.gateway.open.set()

    # --- faults ----------------------------------------------------------------------------------

    def fail_next(
        self,
        route: str,
        status: int,
        body: dict[str, Any] | None = None,
        *,
        retry_after: float = 0.0,
        count: int = 1,
    ) -> None:
        """The next `count` requests to `route` ("POST /channels/{channel_id}/messages", the
        contract's template) answer `status`: 429 comes with Discord's JSON `retry_after` and
        rate-limit headers, other statuses with `body` or Discord's generic error."""
        self.state.faults.append(Fault(route, status, body, retry_after, count))

    # --- what happened -------------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """Contract breaches and routes the stand-in lacks: a test ends with none."""
        return self.state.problems

    def requests_to(self, route: str) -> list[Request]:
        return self.state.requests_to(route)

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        return self.state.channel_messages(channel_id)

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        return await self.state.wait_until(predicate, timeout)
