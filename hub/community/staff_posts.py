"""Staff announcements in #annonces (issue 12 §3): `/annonce` in Discord, `hub discord
announce` from the command line; one rule for both.

An announcement is a title and a text within Discord's limits, for the servers staff chose
(`salaries`, `elus` or `tous`). It is queued per server and posted by that server's bot (the
command line has no gateway; the running hub's bots post within seconds), claimed before the
post like the issue announcements, so it is posted once. It pings nobody unless staff chose to
notify the members' role.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.timeutil import utcnow

TITLE_MAX = 256  # Discord's embed title
TEXT_MAX = 4000  # within Discord's 4,096 for an embed description
EVERY_SERVER = "tous"


class AnnouncementInvalid(UserError):
    """The title or the text cannot be posted as given; `field` names which."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class UnknownServerChoice(UserError):
    def __init__(self, choice: str, known: list[str]) -> None:
        self.choice = choice
        super().__init__(
            f"serveur inconnu « {choice} » ; possibles : {', '.join([*known, EVERY_SERVER])}"
        )


class NoServerEnabled(UserError):
    def __init__(self, choice: str) -> None:
        self.choice = choice
        super().__init__(f"aucun serveur Discord actif pour « {choice} » (guild_id = 0)")


@dataclass(frozen=True)
class Announcement:
    title: str
    text: str
    notify: bool = False


@dataclass(frozen=True)
class PendingStaffPost:
    id: int
    server: str
    announcement: Announcement
    claimed: bool


def checked(title: str, text: str, notify: bool = False) -> Announcement:
    """The announcement as it will be posted, or a French error naming what to fix."""
    title, text = title.strip(), text.strip()
    if not title:
        raise AnnouncementInvalid("titre", "le titre de l'annonce est vide")
    if len(title) > TITLE_MAX:
        raise AnnouncementInvalid(
            "titre", f"le titre fait {len(title)} caractères : {TITLE_MAX} au plus"
        )
    if not text:
        raise AnnouncementInvalid("texte", "le texte de l'annonce est vide")
    if len(text) > TEXT_MAX:
        raise AnnouncementInvalid(
            "texte", f"le texte fait {len(text)} caractères : {TEXT_MAX} au plus (Discord)"
        )
    return Announcement(title, text, notify)


def from_markdown(source: str, notify: bool = False) -> Announcement:
    """A Markdown file: its first non-empty line is the title (a leading « # » dropped)."""
    lines = source.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise AnnouncementInvalid("titre", "le fichier est vide : la première ligne est le titre")
    title = lines[0].strip().lstrip("#").strip()
    return checked(title, "\n".join(lines[1:]), notify)


def servers_for(config: Config, choice: str) -> list[str]:
    """The enabled servers `choice` names (a server's key, or « tous »)."""
    if choice != EVERY_SERVER and choice not in config.discord:
        raise UnknownServerChoice(choice, sorted(config.discord))
    wanted = list(config.discord) if choice == EVERY_SERVER else [choice]
    servers = [key for key in wanted if config.discord[key].enabled]
    if not servers:
        raise NoServerEnabled(choice)
    return servers


async def queue(db: Database, servers: list[str], announcement: Announcement, author: str) -> None:
    now = utcnow()
    async with db.transaction():
        for server in servers:
            await db.execute(
                "discord_staff_post_queue",
                {
                    "server": server,
                    "title": announcement.title,
                    "body": announcement.text,
                    "notify": int(announcement.notify),
                    "author": author,
                    "now": now,
                },
            )


async def pending(db: Database, server: str) -> list[PendingStaffPost]:
    rows = await db.fetch_all("discord_staff_post_pending", {"server": server})
    return [
        PendingStaffPost(
            r["id"],
            r["server"],
            Announcement(r["title"], r["body"], bool(r["notify"])),
            claimed=r["claimed_at"] is not None,
        )
        for r in rows
    ]


async def claim(db: Database, post: PendingStaffPost) -> None:
    async with db.transaction():
        await db.execute("discord_staff_post_claim", {"id": post.id, "now": utcnow()})


async def posted(db: Database, post: PendingStaffPost, message_id: int) -> None:
    async with db.transaction():
        await db.execute(
            "discord_staff_post_posted", {"id": post.id, "message_id": message_id, "now": utcnow()}
        )
