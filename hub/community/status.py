"""What each bot of the running hub remembers across restarts, in the database: its last
connection (so `hub discord status`, another process, can tell whether the hub's bot is up),
the hash of the slash commands it registered (registered again only when they change: Discord
limits command writes), and where its « Je m'identifie » message is (posted once, ever)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hub.db import Database
from hub.timeutil import from_utc_text, to_utc_text


@dataclass(frozen=True)
class BotRecord:
    server: str
    connected_at: datetime | None = None
    commands_hash: str = ""
    welcome_channel_id: int | None = None
    welcome_message_id: int | None = None


class BotStatus:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, server: str) -> BotRecord:
        row = await self.db.fetch_one("discord_bot_get", {"server": server})
        if row is None:
            return BotRecord(server)
        return BotRecord(
            server=server,
            connected_at=from_utc_text(row["connected_at"]),
            commands_hash=row["commands_hash"],
            welcome_channel_id=row["welcome_channel_id"],
            welcome_message_id=row["welcome_message_id"],
        )

    async def connected(self, server: str, at: datetime | None = None) -> None:
        now = to_utc_text(at or datetime.now(UTC))
        async with self.db.transaction():
            await self.db.execute("discord_bot_connected", {"server": server, "now": now})

    async def commands_registered(self, server: str, commands_hash: str) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "discord_bot_commands", {"server": server, "commands_hash": commands_hash}
            )

    async def welcome_posted(self, server: str, channel_id: int, message_id: int) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "discord_bot_welcome",
                {"server": server, "channel_id": channel_id, "message_id": message_id},
            )
