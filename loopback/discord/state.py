"""What the stand-in Discord knows and saw: guilds with their channels, roles and members,
messages, scheduled events, registered commands, interactions and how they were answered, every
REST request, the faults waiting to be served, and the contract problems a test must not have."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loopback.discord import payloads

POLL_SECONDS = 0.02
LARGE_THRESHOLD = 250  # what discord.py's IDENTIFY asks for
# The bot's own role sits high: roles added later come below it, so it may give them (Discord
# refuses, 50013, to give a role at or above the bot's highest); a test moves one to see that.
BOT_ROLE_POSITION = 100


@dataclass
class App:
    """One Discord application with its bot user: the hub runs one per server, each with its
    own token."""

    token: str
    bot: dict[str, Any]

    @property
    def application_id(self) -> str:
        return str(self.bot["id"])  # as for bots created since 2016


@dataclass
class Guild:
    id: str
    name: str
    bot_id: str = ""  # the bot (application) this guild was set up for
    owner_id: str = ""  # the server's owner (who has every permission); the bot when empty
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    scheduled_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    owner_id: str = ""  # the guild's owner (every permission); the bot when empty

    def gateway_payload(self, bot_id: str) -> dict[str, Any]:
        """GUILD_CREATE's data, as sent to a bot with the guilds and members intents."""
        large = len(self.members) > LARGE_THRESHOLD
        return {
            "id": self.id,
            "name": self.name,
            "icon": None,
            "owner_id": self.owner_id or bot_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "fr",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": list(self.roles.values()),
            "channels": [c for c in self.channels.values() if c["type"] not in (11, 12)],
            "threads": [c for c in self.channels.values() if c["type"] in (11, 12)],
            # Like Discord: a large guild comes without its members, who are asked for with
            # REQUEST_GUILD_MEMBERS (op 8); a small one with all of them.
            "members": [self.members[bot_id]] if large else list(self.members.values()),
            "member_count": len(self.members),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": list(self.scheduled_events.values()),
            "large": large,
            "unavailable": False,
            "joined_at": payloads.iso_now(),
        }


@dataclass
class Request:
    """One REST request as it came over the wire."""

    method: str
    path: str
    template: str | None  # the contract's route, None when Discord has no such route
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any  # the decoded JSON body (or multipart payload_json), None without one
    status: int = 0
    app: App | None = None  # the application whose token authorised it
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """What the next request matching `route` answers instead of its normal outcome."""

    route: str  # "METHOD /template" or "/template" (any method)
    status: int
    body: dict[str, Any] | None = None
    retry_after: float = 0.0
    count: int = 1

    def matches(self, method: str, template: str) -> bool:
        wanted_method, _, wanted = self.route.rpartition(" ")
        return wanted == template and wanted_method in ("", method)


@dataclass
class Interaction:
    """An interaction sent to the bot, and what the bot answered (Discord's bookkeeping)."""

    payload: dict[str, Any]
    sent_at: float
    callback: dict[str, Any] | None = None  # the callback's JSON body
    acked_at: float | None = None
    original: dict[str, Any] | None = None  # the response message (type 4 or after a defer)
    followups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ack_seconds(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.sent_at


class State:
    def __init__(self, token: str, bot_name: str = "Hub") -> None:
        self.apps: dict[str, App] = {}
        first = self.add_app(token, bot_name)
        self.token, self.bot, self.application_id = first.token, first.bot, first.application_id
        self.owner = payloads.user("Fédération")
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, dict[str, Any]] = {}  # every channel, DMs and threads included
        self.messages: dict[str, dict[str, Any]] = {}
        self.dm_channels: dict[str, dict[str, Any]] = {}  # "bot id:user id" → DM channel
        self.dms_closed: set[str] = set()  # users who refuse DMs from this bot (error 50007)
        self.thread_members: dict[str, list[str]] = {}  # thread id → users the bot added
        self.interactions: dict[str, Interaction] = {}  # by token
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.problems: list[str] = []
        self.command_writes = 0  # bulk overwrites: a bot must not rewrite unchanged commands
        self._changed = asyncio.Condition()

    # --- the world -------------------------------------------------------------------------

    def add_app(self, token: str, bot_name: str) -> App:
        """Another application (bot) on this Discord: the hub's two bots share one stand-in,
        as they share discord.py's process-wide endpoints."""
        app = App(token=token, bot=payloads.user(bot_name, bot=True))
        self.apps[token] = app
        return app

    def app_of_guild(self, guild_id: str) -> App:
        bot_id = self.guilds[guild_id].bot_id
        return next(app for app in self.apps.values() if app.bot["id"] == bot_id)

    def app_by_id(self, application_id: str) -> App | None:
        return next((a for a in self.apps.values() if a.application_id == application_id), None)

    def add_guild(
        self, name: str, channels: tuple[str, ...] = ("général",), app: App | None = None
    ) -> Guild:
        bot = (app or self.apps[self.token]).bot
        guild = Guild(id=payloads.snowflake(), name=name, bot_id=bot["id"])
        guild.roles[guild.id] = payloads.role(guild.id, "@everyone", role_id=guild.id, position=0)
        # The bot's own role, as Discord makes it when the bot joins with permissions.
        bot_role = payloads.role(guild.id, bot["username"], position=BOT_ROLE_POSITION)
        bot_role["managed"] = True
        bot_role["tags"] = {"bot_id": bot["id"]}
        guild.roles[bot_role["id"]] = bot_role
        guild.members[bot["id"]] = payloads.member(bot, [bot_role["id"]])
        self.guilds[guild.id] = guild
        for channel_name in channels:
            self.add_channel(guild, channel_name)
        return guild

    def add_channel(self, guild: Guild, name: str, kind: int = 0, **extra: Any) -> dict:
        channel = payloads.channel(guild.id, name, kind=kind, **extra)
        guild.channels[channel["id"]] = channel
        self.channels[channel["id"]] = channel
        return channel

    def add_role(self, guild: Guild, name: str) -> dict[str, Any]:
        role = payloads.role(guild.id, name, position=len(guild.roles))
        guild.roles[role["id"]] = role
        return role

    def add_member(self, guild: Guild, name: str, *, dms_open: bool = True) -> dict[str, Any]:
        member = payloads.member(payloads.user(name))
        guild.members[member["user"]["id"]] = member
        if not dms_open:
            self.dms_closed.add(member["user"]["id"])
        return member

    def bot_of_channel(self, channel_id: str) -> dict[str, Any]:
        """The bot that posts in a channel: the guild's, or (a DM) the only or first one."""
        channel = self.channels.get(channel_id) or {}
        if channel.get("guild_id") in self.guilds:
            return self.app_of_guild(channel["guild_id"]).bot
        return self.bot

    def post_message(self, channel_id: str, author: dict, body: dict, **extra: Any) -> dict:
        message = payloads.message(channel_id, author, body, **extra)
        self.messages[message["id"]] = message
        channel = self.channels.get(channel_id)
        if channel is not None:
            channel["last_message_id"] = message["id"]
        return message

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    # --- what happened ---------------------------------------------------------------------

    def requests_to(self, route: str) -> list[Request]:
        """The requests to `route`, "METHOD /template" or "/template"; a regex is allowed too."""
        method, _, template = route.rpartition(" ")
        return [
            r
            for r in self.requests
            if method in ("", r.method)
            and r.template is not None
            and (r.template == template or re.fullmatch(template, r.template))
        ]

    def take_fault(self, method: str, template: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, template):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def changed(self) -> None:
        """Wake whoever waits in `wait_until` (after each request and dispatch)."""
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait, at most `timeout` seconds, until `predicate()` is truthy; returns its value.
        It is checked after each request and dispatch, and every 20 ms for what only the bot
        sees (its own handlers run after the stand-in sent the event)."""

        async def waited() -> Any:
            async with self._changed:
                while not (value := predicate()):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), POLL_SECONDS)
                return value

        return await asyncio.wait_for(waited(), timeout)
