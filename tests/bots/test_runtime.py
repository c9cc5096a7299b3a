"""The bots' lifecycle in the hub's loop: off without token, a refused token stops one bot
only, two servers kept apart, commands registered only when changed, the « Je m'identifie »
message posted once across restarts and its button working after one, welcome DMs."""

from __future__ import annotations

import logging

import pytest

from loopback.discord.community import ENVS, TOKENS
from tests.bots.conftest import Community
from tests.bots.members import answer, button_ids, click, slash, submit
from tests.bots.test_identification import posts, welcome

WAIT = 10.0
COMMANDS = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


def bot_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bots" and r.levelno >= 20]


async def test_each_bot_serves_its_own_server_only(community: Community) -> None:
    async with community.bots() as bots:
        assert sorted(bot.server.key for bot in bots) == ["elus", "salaries"]
    for key in ("salaries", "elus"):
        (message,) = posts(community, key, "accueil")
        assert message["author"]["id"] == community.apps[key].bot["id"]
        assert button_ids(message) == ["hub:identifier"]
    syncs = community.discord.requests_to(COMMANDS)
    assert sorted(r.path for r in syncs) == sorted(
        f"/applications/{community.apps[k].application_id}/guilds/{community.guilds[k].id}/commands"
        for k in ("salaries", "elus")
    )
    assert sorted(c["name"] for c in community.guilds["elus"].commands) == [
        "agenda",
        "annonce",
        "identification",
        "inscription",
        "mes-donnees",
        "mes-inscriptions",
        "question",
    ]
    status = {key: await community.services.bot_status.get(key) for key in ("salaries", "elus")}
    assert all(record.connected_at is not None for record in status.values())


async def test_a_bot_without_token_is_off_with_one_log_line(
    community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    services = community.services_with({ENVS["elus"]: TOKENS["elus"]})
    with caplog.at_level(logging.INFO, logger="bots"):
        async with community.bots(services) as bots:
            assert [bot.server.key for bot in bots] == ["elus"]
    off = [line for line in bot_lines(caplog) if "désactivé" in line]
    assert off == [
        "bot Discord « Collectif des salariés » désactivé : DISCORD_TOKEN_SALARIES n'est pas "
        "définie"
    ]
    assert posts(community, "salaries", "accueil") == []
    assert len(posts(community, "elus", "accueil")) == 1


async def test_a_refused_token_stops_that_bot_only(
    community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    services = community.services_with(
        {ENVS["salaries"]: "un-jeton-révoqué", ENVS["elus"]: TOKENS["elus"]}
    )
    discord, guild = community.discord, community.guilds["elus"]
    member = discord.add_member(guild, "claude")
    with caplog.at_level(logging.INFO, logger="bots"):
        async with community.bots(services) as bots:
            salaries = next(bot for bot in bots if bot.server.key == "salaries")
            await discord.wait_until(salaries.is_closed, WAIT)
            opened = await click(
                discord, guild, member, welcome(community, "elus"), "hub:identifier"
            )
            sent = answer(await submit(discord, guild, member, opened, {"email": "c@cpts.fr"}))
    assert button_ids(sent) == ["hub:code"]
    refused = [r for r in caplog.records if r.name == "bots" and r.levelno == logging.ERROR]
    assert [r.getMessage() for r in refused] == [
        "bot Discord « Collectif des salariés » : Discord refuse le jeton de "
        "DISCORD_TOKEN_SALARIES ; ce bot s'arrête, le reste du hub continue"
    ]
    assert "un-jeton-révoqué" not in caplog.text
    assert refused[0].exc_info is None  # one line, no traceback


async def test_commands_are_registered_again_only_when_they_change(community: Community) -> None:
    async with community.bots():
        pass
    async with community.bots():
        pass
    assert len(community.discord.requests_to(COMMANDS)) == 2  # once per server, ever
    async with community.bots() as bots:
        bot = bots[0]
        bot.tree.remove_command("mes-donnees", guild=bot.guild_ref)
        assert await bot.sync_commands()
        assert not await bot.sync_commands()
    assert len(community.discord.requests_to(COMMANDS)) == 3


async def test_a_restart_does_not_post_the_welcome_again_and_its_button_still_works(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    member = discord.add_member(guild, "camille")
    async with community.bots():
        first = welcome(community)
    async with community.bots():
        assert welcome(community) == first  # the same, only, message
        opened = await click(discord, guild, member, first, "hub:identifier")
    assert opened.callback["type"] == 9
    assert opened.callback["data"]["title"] == "Identification"


async def test_a_deleted_welcome_is_posted_again(community: Community) -> None:
    async with community.bots():
        first = welcome(community)
    del community.discord.state.messages[first["id"]]
    async with community.bots():
        again = welcome(community)
    assert again["id"] != first["id"]


async def test_a_member_who_joins_gets_the_welcome_by_dm(community: Community) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    async with community.bots():
        member = await discord.member_joins(guild, "alix")
        dm = await discord.wait_until(
            lambda: discord.state.dm_channels.get(
                f"{community.apps['salaries'].bot['id']}:{member['user']['id']}"
            ),
            WAIT,
        )
        (message,) = await discord.wait_until(lambda: discord.messages_in(dm["id"]), WAIT)
    assert button_ids(message) == ["hub:identifier"]
    assert message["content"].startswith("**Bienvenue")


async def test_closed_dms_are_logged_once_and_never_retried(
    community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    with caplog.at_level(logging.INFO, logger="bots"):
        async with community.bots():
            await discord.member_joins(guild, "dominique", dms_open=False)
            await discord.wait_until(
                lambda: any("DMs are closed" in r.getMessage() for r in caplog.records), WAIT
            )
    dm_posts = [
        r for r in discord.requests_to("POST /channels/{channel_id}/messages") if r.status == 403
    ]
    assert len(dm_posts) == 1
    closed = [r for r in caplog.records if "DMs are closed" in r.getMessage()]
    assert len(closed) == 1


async def test_a_dropped_gateway_resumes_and_the_connection_is_recorded_again(
    community: Community,
) -> None:
    discord = community.discord
    async with community.bots() as bots:
        bot = next(bot for bot in bots if bot.server.key == "salaries")
        before = await community.services.bot_status.get("salaries")
        bot.connected.clear()
        await discord.drop(app=community.apps["salaries"])
        await discord.wait_until(bot.connected.is_set, WAIT)
        after = await community.services.bot_status.get("salaries")
    assert discord.gateway.resumes == 1
    assert after.connected_at is not None and before.connected_at is not None
    assert after.connected_at >= before.connected_at


async def test_bots_ask_for_guilds_and_members_only_and_never_chunk_at_start(
    community: Community,
) -> None:
    async with community.bots():
        pass
    received = community.discord.gateway.received
    identifies = [m["d"]["intents"] for m in received if m["op"] == 2]
    assert identifies == [0b11, 0b11]  # GUILDS | GUILD_MEMBERS, never MESSAGE_CONTENT
    assert [m for m in received if m["op"] == 8] == []  # no REQUEST_GUILD_MEMBERS


async def test_the_identification_command_opens_the_email_modal(community: Community) -> None:
    discord, guild = community.discord, community.guilds["elus"]
    member = discord.add_member(guild, "claude")
    async with community.bots():
        opened = await slash(discord, guild, member, "identification")
    assert opened.callback["type"] == 9
    (row,) = opened.callback["data"]["components"]
    assert row["components"][0]["custom_id"] == "email"


async def test_a_discord_503_on_the_welcome_post_is_tried_again(community: Community) -> None:
    route = "POST /channels/{channel_id}/messages"
    community.discord.fail_next(route, 503)
    async with community.bots():
        await community.discord.wait_until(lambda: posts(community, "salaries", "accueil"), WAIT)
        await community.discord.wait_until(lambda: posts(community, "elus", "accueil"), WAIT)
    statuses = [r.status for r in community.discord.requests_to(route)]
    assert sorted(statuses) == [200, 200, 503]
