"""What the agenda tests share: events made as staff make them, members identified beforehand
(linked by hand, as `hub discord link` does), the bot's posts in #agenda, and clicks in DMs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.config import Question
from hub.events.model import Event
from hub.events.rules import NewEvent
from hub.subscribers.service import Person
from loopback.discord import payloads
from loopback.discord.state import Interaction
from tests.bots.conftest import Community
from tests.bots.members import click

WAIT = 10.0
POST_ROUTE = "POST /channels/{channel_id}/messages"


async def event(
    community: Community,
    title: str = "Réunion flash : le SAS",
    *,
    audience: str = "members",
    capacity: int | None = 0,
    waitlist: str = "auto",
    questions: list[Question] | None = None,
    days: int = 7,
    reminders: list[int] | None = None,
    publish: bool = True,
) -> Event:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return await community.services.events.create(
        NewEvent(
            title=title,
            kind="reunion-flash",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            audience=audience,
            capacity=capacity,
            waitlist=waitlist,
            questions=questions or [],
            reminders_minutes=reminders if reminders is not None else [],
            publish=publish,
        )
    )


async def identified(
    community: Community,
    name: str,
    *,
    server: str = "salaries",
    role: str = "salarie",
    dms_open: bool = True,
) -> dict[str, Any]:
    """A member of `server` linked to a member contact's record."""
    email = f"{name}@cpts-exemple.fr"
    await community.services.subscribers.save_person(Person(email=email, role=role, member=True))
    member = community.discord.add_member(community.guilds[server], name, dms_open=dms_open)
    await community.services.identification.link_by_hand(
        int(member["user"]["id"]), email, server=server, staff="test"
    )
    return member


def agenda_posts(community: Community, server: str) -> list[dict[str, Any]]:
    messages = community.discord.messages_in(community.channel(server, "agenda")["id"])
    return [m for m in messages if "webhook_id" not in m]


def post_of(community: Community, server: str, title: str) -> dict[str, Any]:
    (found,) = [m for m in agenda_posts(community, server) if title in m["embeds"][0]["title"]]
    return found


async def wait_for_post(community: Community, server: str, title: str) -> dict[str, Any]:
    await community.discord.wait_until(
        lambda: any(title in m["embeds"][0]["title"] for m in agenda_posts(community, server)),
        WAIT,
    )
    return post_of(community, server, title)


async def press(
    community: Community,
    member: dict[str, Any],
    message: dict[str, Any],
    custom_id: str,
    server: str = "salaries",
) -> Interaction:
    """Click a button whose answer is deferred; returns once the follow-up came."""
    sent = await click(community.discord, community.guilds[server], member, message, custom_id)
    await community.discord.wait_until(
        lambda: sent.callback and (sent.callback["type"] != 5 or sent.followups), WAIT
    )
    return sent


def dms_to(community: Community, member: dict[str, Any]) -> list[dict[str, Any]]:
    user_id = member["user"]["id"]
    channels = [
        c["id"]
        for key, c in community.discord.state.dm_channels.items()
        if key.endswith(f":{user_id}")
    ]
    messages = [m for c in channels for m in community.discord.messages_in(c)]
    return [m for m in messages if "webhook_id" not in m]  # not the answers to clicks there


async def click_in_dm(
    community: Community,
    server: str,
    member: dict[str, Any],
    message: dict[str, Any],
    custom_id: str,
) -> Interaction:
    """A click on a button of a DM: Discord sends the user, no guild nor member."""
    discord, guild = community.discord, community.guilds[server]
    channel = discord.state.channels[message["channel_id"]]
    payload = payloads.button_click(message, custom_id, **discord.context(guild, member, channel))
    for key in ("guild_id", "guild", "member", "app_permissions", "guild_locale"):
        payload.pop(key, None)
    payload |= {"user": member["user"], "context": 1, "authorizing_integration_owners": {}}
    sent = await discord.send(payload)
    await discord.wait_until(lambda: sent.callback and sent.followups, WAIT)
    return sent
