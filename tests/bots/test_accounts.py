"""One Discord account, one person, in both servers: identifying (or being validated) in one
server links the account and gives the roles in the other where it is a member too, a member
who joins later is recognised, and withdrawn membership takes the roles back in both."""

from __future__ import annotations

from typing import Any

from hub.subscribers.service import Person
from loopback.discord import payloads
from tests.bots.conftest import Community
from tests.bots.members import answer, click, submit
from tests.bots.test_identification import identify, posts

WAIT = 10.0


def in_both(community: Community, name: str) -> dict[str, Any]:
    """A member of the salariés' server who is in the élus' one too (the same account)."""
    member = community.discord.add_member(community.guilds["salaries"], name)
    user = member["user"]
    community.guilds["elus"].members[user["id"]] = payloads.member(user)
    return member


def roles_in(community: Community, server: str, member: dict[str, Any]) -> set[str]:
    return set(community.guilds[server].members[member["user"]["id"]]["roles"])


def role_ids(community: Community, server: str, *names: str) -> set[str]:
    return {community.role_id(server, name) for name in names}


async def test_identifying_in_one_server_links_and_gives_the_roles_in_the_other(
    community: Community,
) -> None:
    await community.services.subscribers.save_person(
        Person(email="c@cpts.fr", role="coordinateur", member=True)
    )
    member = in_both(community, "camille")
    alone = community.discord.add_member(community.guilds["salaries"], "alix")
    await community.services.subscribers.save_person(Person(email="a@cpts.fr", member=True))
    async with community.bots():
        await identify(community, member, "c@cpts.fr")
        await identify(community, alone, "a@cpts.fr")
        wanted = role_ids(community, "elus", "adhérent", "coordinateur")
        await community.discord.wait_until(lambda: roles_in(community, "elus", member), WAIT)
    assert roles_in(community, "elus", member) == wanted
    identification = community.services.identification
    link = await identification.link_of(int(member["user"]["id"]), server="elus")
    assert link is not None
    assert (link.linked_by, link.roles) == ("discord:salaries", ("adherent", "coordinateur"))
    assert await identification.link_of(int(alone["user"]["id"]), server="elus") is None


async def test_a_member_who_joins_the_other_server_later_is_recognised(
    community: Community,
) -> None:
    await community.services.subscribers.save_person(
        Person(email="c@cpts.fr", role="elu", member=True)
    )
    discord = community.discord
    member = discord.add_member(community.guilds["salaries"], "camille")
    async with community.bots():
        await identify(community, member, "c@cpts.fr")
        user = member["user"]
        community.guilds["elus"].members[user["id"]] = payloads.member(user)
        await discord.gateway.dispatch(
            "GUILD_MEMBER_ADD",
            community.guilds["elus"].members[user["id"]]
            | {"guild_id": community.guilds["elus"].id},
        )
        elus_bot = community.apps["elus"].bot["id"]
        dm = await discord.wait_until(
            lambda: discord.state.dm_channels.get(f"{elus_bot}:{user['id']}"), WAIT
        )
        (message,) = await discord.wait_until(lambda: discord.messages_in(dm["id"]), WAIT)
    assert roles_in(community, "elus", member) == role_ids(community, "elus", "adhérent", "élu")
    assert "déjà identifié(e)" in message["content"]
    assert "« adhérent », « élu »" in message["content"]
    assert message["components"] == []  # no « Je m'identifie » to click again


async def test_staff_validation_in_one_server_gives_the_roles_in_the_other(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    member = in_both(community, "nouvelle")
    staff = discord.add_member(guild, "dominique")
    staff["roles"] = [community.role_id("salaries", "staff")]
    async with community.bots():
        await identify(community, member, "n@cpts-sud.fr")
        assert roles_in(community, "elus", member) == set()  # identified, no member role yet
        (notice,) = await discord.wait_until(lambda: posts(community, "salaries", "staff"), WAIT)
        custom_id = f"hub:valider:{member['user']['id']}"
        opened = await click(discord, guild, staff, notice, custom_id)
        answer(await submit(discord, guild, staff, opened, {"role": "elu", "cpts": "CPTS Sud"}))
        await discord.wait_until(lambda: roles_in(community, "elus", member), WAIT)
    assert roles_in(community, "elus", member) == role_ids(community, "elus", "adhérent", "élu")


async def test_a_withdrawn_membership_takes_the_roles_back_in_both_servers(
    community: Community,
) -> None:
    people = community.services.subscribers
    await people.save_person(Person(email="c@cpts.fr", role="salarie", member=True))
    member = in_both(community, "camille")
    async with community.bots():
        await identify(community, member, "c@cpts.fr")
        wanted = role_ids(community, "elus", "adhérent", "salarié")
        await community.discord.wait_until(
            lambda: roles_in(community, "elus", member) == wanted, WAIT
        )
        await people.set_member("c@cpts.fr", False, "cli")
        await community.discord.wait_until(
            lambda: (
                not roles_in(community, "salaries", member)
                and not roles_in(community, "elus", member)
            ),
            WAIT,
        )
