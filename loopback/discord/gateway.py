"""The gateway half of the stand-in: Discord's websocket protocol v10, JSON encoding, with the
`zlib-stream` transport compression discord.py asks for by default (one zlib stream per
connection, each message ending with a sync flush).

HELLO (op 10) → IDENTIFY (op 2) → READY then one GUILD_CREATE per guild; heartbeats (op 1) get
their ACK (op 11); REQUEST_GUILD_MEMBERS (op 8) gets GUILD_MEMBERS_CHUNK. A dispatch gets the
session's next sequence number and is kept, so after `drop()` the client's RESUME (op 6) gets
every event it missed, then RESUMED; an unknown session gets INVALID_SESSION (op 9, not
resumable). A bad token closes with 4004, as Discord does.
"""

from __future__ import annotations

import asyncio
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from loopback.discord.state import App, State

DISPATCH, HEARTBEAT, IDENTIFY, REQUEST_MEMBERS, RESUME = 0, 1, 2, 8, 6
RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 7, 9, 10, 11
AUTHENTICATION_FAILED = 4004
CHUNK_SIZE = 1000  # members per GUILD_MEMBERS_CHUNK, as Discord sends them


@dataclass
class Connection:
    socket: web.WebSocketResponse
    compressor: Any = None  # a zlib compressobj when the client asked for zlib-stream
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: Session | None = None  # once identified or resumed

    async def send(self, message: dict[str, Any]) -> None:
        data = orjson.dumps(message)
        async with self.lock:
            if self.socket.closed:
                return
            if self.compressor is None:
                await self.socket.send_str(data.decode())
            else:
                compressed = self.compressor.compress(data)
                await self.socket.send_bytes(compressed + self.compressor.flush(zlib.Z_SYNC_FLUSH))


@dataclass
class Session:
    id: str
    intents: int
    app: App
    sequence: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None


class Gateway:
    def __init__(self, state: State, url: str = "", heartbeat_interval_ms: int = 41_250) -> None:
        self.state = state
        self.url = url  # set by the server once it listens; READY's resume_gateway_url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, Session] = {}
        self.session: Session | None = None  # the last identified or resumed one, any bot
        self.by_app: dict[str, Session] = {}  # each application's (token's) current session
        self.identifies = 0
        self.resumes = 0
        self.received: list[dict[str, Any]] = []  # every message the client sent
        self.replayed: list[str] = []  # the events sent again on a RESUME
        self.open = asyncio.Event()  # cleared: new connections wait (see DiscordServer.offline)
        self.open.set()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await socket.prepare(request)
        await self.open.wait()
        query = request.query
        if query.get("v") != "10" or query.get("encoding", "json") != "json":
            self.state.problems.append(f"gateway: unsupported query {dict(query)}")
            await socket.close(code=4012)  # invalid API version
            return socket
        compress = query.get("compress")
        connection = Connection(socket, zlib.compressobj() if compress == "zlib-stream" else None)
        await connection.send(
            {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
        )
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                continue
            message = orjson.loads(frame.data)
            self.received.append(message)
            await self._on_message(connection, message)
        if connection.session is not None and connection.session.connection is connection:
            connection.session.connection = None
        return socket

    async def _on_message(self, connection: Connection, message: dict[str, Any]) -> None:
        op, data = message.get("op"), message.get("d")
        if op == HEARTBEAT:
            await connection.send({"op": HEARTBEAT_ACK, "d": None})
        elif op == IDENTIFY:
            await self._identify(connection, data)
        elif op == RESUME:
            await self._resume(connection, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(connection, data)
        await self.state.changed()

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        app = self.state.apps.get(data.get("token") or "")
        if app is None:
            await connection.socket.close(code=AUTHENTICATION_FAILED)
            return
        self.identifies += 1
        session = Session(id=secrets.token_hex(16), intents=int(data.get("intents", 0)), app=app)
        self.sessions[session.id] = session
        self.session = self.by_app[app.token] = session
        session.connection, connection.session = connection, session
        state = self.state
        guilds = [g for g in state.guilds.values() if g.bot_id == app.bot["id"]]
        await self._dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": app.bot,
                "guilds": [{"id": guild.id, "unavailable": True} for guild in guilds],
                "session_id": session.id,
                "resume_gateway_url": self.url,
                "session_type": "normal",
                "shard": [0, 1],
                "application": {"id": app.application_id, "flags": 1 << 15},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": [],
            },
        )
        for guild in guilds:
            await self._dispatch(session, "GUILD_CREATE", guild.gateway_payload(app.bot["id"]))

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != session.app.token:
            await connection.send({"op": INVALID_SESSION, "d": False})
            return
        self.resumes += 1
        session.connection, connection.session = connection, session
        self.session = self.by_app[session.app.token] = session
        for event in session.events:
            if event["s"] > (data.get("seq") or 0):
                self.replayed.append(event["t"])
                await connection.send(event)
        await self._dispatch(session, "RESUMED", {})

    async def _members_chunk(self, connection: Connection, data: dict[str, Any]) -> None:
        session = connection.session
        if session is None:
            return
        guild_ids = data["guild_id"]
        for guild_id in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.state.guilds.get(str(guild_id))
            members = list(guild.members.values()) if guild else []
            chunks = [members[i : i + CHUNK_SIZE] for i in range(0, len(members), CHUNK_SIZE)]
            for index, part in enumerate(chunks or [[]]):
                chunk = {"guild_id": str(guild_id), "members": part, "not_found": []}
                chunk |= {"chunk_index": index, "chunk_count": len(chunks or [[]])}
                if data.get("nonce"):
                    chunk["nonce"] = data["nonce"]
                await self._dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.sequence += 1
        message = {"op": DISPATCH, "t": event, "s": session.sequence, "d": data}
        session.events.append(message)
        if session.connection is not None:
            await session.connection.send(message)

    def session_for(self, guild_id: str | None) -> Session | None:
        """The session of the bot that serves `guild_id` (the last one without a guild)."""
        if guild_id is None or guild_id not in self.state.guilds:
            return self.session
        return self.by_app.get(self.state.app_of_guild(guild_id).token)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch to the session of the guild's bot, or keep it for its RESUME when it
        is away."""
        session = self.session_for(data.get("guild_id"))
        app = self.state.app_by_id(str(data.get("application_id", "")))
        if data.get("guild_id") is None and app is not None:  # a DM: the bot that sent it
            session = self.by_app.get(app.token, session)
        if session is None:
            raise RuntimeError("no bot has identified with the stand-in gateway for this guild")
        await self._dispatch(session, event, data)
        await self.state.changed()

    async def drop(self, code: int = 4000, app: App | None = None) -> None:
        """Close a bot's socket (the last identified one's by default) as a network failure
        would (4000: resumable); what is dispatched until it resumes is kept for its RESUME."""
        session = self.by_app.get(app.token) if app is not None else self.session
        if session is not None and session.connection is not None:
            connection, session.connection = session.connection, None
            await connection.socket.close(code=code)

    async def reconnect(self) -> None:
        """Ask the bot to reconnect and resume (op 7), as Discord does before maintenance."""
        if self.session is not None and self.session.connection is not None:
            await self.session.connection.send({"op": RECONNECT, "d": None})

    async def close(self) -> None:
        for session in self.sessions.values():
            if session.connection is not None:
                await session.connection.socket.close(code=1001)
