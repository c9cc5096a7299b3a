"""The roles a bot must take back, whoever caused it and in whichever process: a link undone
or a person erased (the trigger of migration 0006 queues the roles the link had given), or a
linked person's membership withdrawn or role changed (queued as a check, compared here with
what the record now carries). The running hub's bot asks `due`, acts on Discord, then says
`done`: a crash in between means trying again, never forgetting."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hub.community.identity import Identification
from hub.db import Database


@dataclass(frozen=True)
class RoleRemoval:
    discord_user_id: int
    roles: tuple[str, ...]  # role keys to take back
    queued_id: int | None = None  # a queued removal (link gone), else a check
    subscriber_id: int | None = None  # the checked person (link still there)


class RoleSync:
    def __init__(self, db: Database, identification: Identification) -> None:
        self.db = db
        self.identification = identification

    async def due(self, server: str) -> list[RoleRemoval]:
        rows = await self.db.fetch_all("discord_role_removals_of", {"server": server})
        due = [
            RoleRemoval(int(r["discord_user_id"]), tuple(json.loads(r["roles"])), int(r["id"]))
            for r in rows
        ]
        for row in await self.db.fetch_all("discord_role_checks_of", {"server": server}):
            subscriber_id = int(row["subscriber_id"])
            removals = [
                RoleRemoval(r.discord_user_id, r.roles, subscriber_id=subscriber_id)
                for r in await self.identification.roles_to_remove(subscriber_id)
                if r.server == server
            ]
            due += removals or [RoleRemoval(0, (), subscriber_id=subscriber_id)]
        return due

    async def done(self, server: str, removal: RoleRemoval) -> None:
        """The roles were taken back on Discord (or could not be: the member left)."""
        if removal.queued_id is not None:
            async with self.db.transaction():
                await self.db.execute("discord_role_removal_done", {"id": removal.queued_id})
            return
        if removal.roles:
            link = await self.identification.link_of(removal.discord_user_id, server=server)
            if link is not None:
                kept = tuple(role for role in link.roles if role not in removal.roles)
                await self.identification.record_roles(removal.discord_user_id, kept, server=server)
        async with self.db.transaction():
            await self.db.execute(
                "discord_role_check_done",
                {"server": server, "subscriber_id": removal.subscriber_id},
            )
