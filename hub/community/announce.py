"""Newsletter issues announced on Discord: the outbox the bots drain (issue 12 §1).

The cause (a campaign of the edition ending `sent`, or staff announcing an issue by hand)
writes one row per server in the same transaction as itself; the bot of each server posts
it in #annonces and records the message. Which servers get an edition is configured per
server (`[discord.<key>].editions`, « * » for all, the default). Nothing here knows Discord:
the bot asks for `pending`, `claim`s a row before posting (so a crash between the post and
its record is detected and the channel checked, never posted blind twice), then `posted`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.timeutil import utcnow
from newsletters import archive

FIRST_TITLES = 5  # the titles of the first articles shown in the announcement


class IssueNotPublished(UserError):
    """Staff asked to announce an issue the archive does not hold."""

    def __init__(self, edition: str, number: int) -> None:
        self.edition, self.number = edition, number
        super().__init__(
            f"le numéro {number} de l'édition « {edition} » n'est pas publié : rien à annoncer"
        )


class NoServerForEdition(UserError):
    """No enabled server is configured to receive this edition."""

    def __init__(self, edition: str) -> None:
        self.edition = edition
        super().__init__(
            f"aucun serveur Discord actif ne reçoit l'édition « {edition} » "
            "(voir les clés « editions » et « guild_id » des serveurs Discord)"
        )


@dataclass(frozen=True)
class PendingAnnouncement:
    server: str
    edition: str
    number: int
    claimed: bool  # a previous attempt may have posted it: look in the channel first


@dataclass(frozen=True)
class IssueAnnouncement:
    """What the post shows: the subject, the preheader, the first titles, the web link."""

    edition: str
    edition_name: str
    number: int
    subject: str
    preheader: str
    titles: tuple[str, ...]
    url: str  # a members-only edition's link carries its access key


def servers_for(config: Config, edition: str) -> list[str]:
    """The enabled servers configured to receive `edition`."""
    return [
        key for key, server in config.discord.items() if server.enabled and server.receives(edition)
    ]


async def queue_for_campaign(db: Database, config: Config, campaign_id: int) -> None:
    """Inside the transaction that marks the campaign sent: its issue, to each server."""
    row = await db.fetch_one("discord_issue_edition_of_campaign", {"campaign_id": campaign_id})
    if row is None:
        return
    now = utcnow()
    for server in servers_for(config, row["edition"]):
        await db.execute(
            "discord_issue_queue_for_campaign",
            {"server": server, "campaign_id": campaign_id, "now": now},
        )


async def queue_issue(db: Database, config: Config, edition: str, number: int) -> list[str]:
    """Staff announce a published issue by hand; the servers it goes to (each once, ever)."""
    if edition not in config.editions or await archive.get_issue(db, edition, number) is None:
        raise IssueNotPublished(edition, number)
    servers = servers_for(config, edition)
    if not servers:
        raise NoServerForEdition(edition)
    now = utcnow()
    async with db.transaction():
        for server in servers:
            await db.execute(
                "discord_issue_queue",
                {"server": server, "edition": edition, "number": number, "now": now},
            )
    return servers


async def pending(db: Database, server: str) -> list[PendingAnnouncement]:
    rows = await db.fetch_all("discord_issue_pending", {"server": server})
    return [
        PendingAnnouncement(
            r["server"], r["edition"], r["issue_number"], claimed=r["claimed_at"] is not None
        )
        for r in rows
    ]


async def claim(db: Database, item: PendingAnnouncement) -> None:
    """Committed before the post: a crash after it leaves a trace to check."""
    async with db.transaction():
        await db.execute(
            "discord_issue_claim",
            {
                "server": item.server,
                "edition": item.edition,
                "number": item.number,
                "now": utcnow(),
            },
        )


async def posted(db: Database, item: PendingAnnouncement, channel_id: int, message_id: int) -> None:
    async with db.transaction():
        await db.execute(
            "discord_issue_posted",
            {
                "server": item.server,
                "edition": item.edition,
                "number": item.number,
                "channel_id": channel_id,
                "message_id": message_id,
                "now": utcnow(),
            },
        )


async def content(db: Database, config: Config, edition: str, number: int) -> IssueAnnouncement:
    """The announcement of an archived issue (its meta holds the titles and the web link)."""
    issue = await archive.get_issue(db, edition, number)
    if issue is None or issue.meta is None:
        raise IssueNotPublished(edition, number)
    meta = issue.meta
    titles = [item["title"] for section in meta["sections"] for item in section["items"]]
    return IssueAnnouncement(
        edition=edition,
        edition_name=meta["edition_name"],
        number=number,
        subject=issue.subject,
        preheader=issue.preheader,
        titles=tuple(titles[:FIRST_TITLES]),
        url=meta["web_url"],
    )
