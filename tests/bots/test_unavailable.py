"""Discord's 503, which discord.py does not retry: the bots' REST calls that matter (roles,
DMs, posts) are tried again with a pause and succeed, each done once."""

from __future__ import annotations

from hub.subscribers.service import Person
from tests.bots.conftest import Community
from tests.bots.test_identification import identify, posts

WAIT = 10.0
ROLE_ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
POST_ROUTE = "POST /channels/{channel_id}/messages"


async def test_a_role_discord_answers_503_is_given_on_the_next_try(community: Community) -> None:
    await community.services.subscribers.save_person(Person(email="m@cpts.fr", member=True))
    guild = community.guilds["salaries"]
    member = community.discord.add_member(guild, "camille")
    community.discord.fail_next(ROLE_ROUTE, 503)
    async with community.bots():
        done = await identify(community, member, "m@cpts.fr")
    assert "Rôle(s) donné(s) : « adhérent »" in done["content"]
    assert guild.members[member["user"]["id"]]["roles"] == [
        community.role_id("salaries", "adhérent")
    ]
    assert [r.status for r in community.discord.requests_to(ROLE_ROUTE)] == [503, 204]


async def test_a_welcome_dm_discord_answers_503_arrives_once(community: Community) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    async with community.bots():
        await discord.wait_until(lambda: posts(community, "elus", "accueil"), WAIT)
        await discord.wait_until(lambda: posts(community, "salaries", "accueil"), WAIT)
        discord.fail_next(POST_ROUTE, 503)
        member = await discord.member_joins(guild, "alix")
        key = f"{community.apps['salaries'].bot['id']}:{member['user']['id']}"
        dm = await discord.wait_until(lambda: discord.state.dm_channels.get(key), WAIT)
        (message,) = await discord.wait_until(lambda: discord.messages_in(dm["id"]), WAIT)
    assert message["content"].startswith("**Bienvenue")
    to_dm = [r.status for r in discord.requests_to(POST_ROUTE) if dm["id"] in r.path]
    assert to_dm == [503, 200]
