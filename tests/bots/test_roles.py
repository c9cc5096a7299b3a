"""The bot takes back the roles it gave when staff withdraw a membership or erase a person,
even from another process (the queue is in the database)."""

from __future__ import annotations

import asyncio

from hub.subscribers.service import Person
from tests.bots.conftest import Community

WAIT = 10.0


async def all_done(community: Community) -> None:
    """Until the bot said done for every due removal (it acts on Discord first)."""
    async with asyncio.timeout(WAIT):
        while await community.services.role_sync.due("salaries"):
            await asyncio.sleep(0.02)


async def member_with_roles(community: Community) -> tuple[dict, str]:
    """A member contact linked by hand, with the roles the bot gave."""
    await community.services.subscribers.save_person(
        Person(email="c@cpts.fr", role="salarie", member=True)
    )
    guild = community.guilds["salaries"]
    member = community.discord.add_member(guild, "camille")
    user_id = member["user"]["id"]
    roles = [community.role_id("salaries", n) for n in ("adhérent", "salarié")]
    member["roles"] = [*roles, community.role_id("salaries", "staff")]
    await community.services.identification.link_by_hand(
        int(user_id), "c@cpts.fr", server="salaries", staff="Dominique"
    )
    return member, user_id


async def test_a_withdrawn_membership_takes_back_the_roles_the_bot_gave(
    community: Community,
) -> None:
    member, _ = await member_with_roles(community)
    staff_role = community.role_id("salaries", "staff")
    async with community.bots():
        await community.services.subscribers.set_member("c@cpts.fr", False, "cli")
        await community.discord.wait_until(lambda: member["roles"] == [staff_role], WAIT)
        await all_done(community)
    link = await community.services.identification.link_of(
        int(member["user"]["id"]), server="salaries"
    )
    assert link is not None and link.roles == ()


async def test_an_erased_person_loses_the_roles_the_bot_gave(community: Community) -> None:
    member, _ = await member_with_roles(community)
    staff_role = community.role_id("salaries", "staff")
    await community.services.subscribers.forget("c@cpts.fr")  # while the hub was stopped
    async with community.bots():
        await community.discord.wait_until(lambda: member["roles"] == [staff_role], WAIT)
        await all_done(community)
