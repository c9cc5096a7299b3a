"""The real discord.py client against the loopback stand-in Discord: login, command sync,
members' interactions, gateway resume, rate limits, server errors, refused tokens, closed DMs.

These prove the stand-in speaks Discord well enough for discord.py, and pin down the discord.py
behaviours the hub's bots rely on (see loopback/discord/)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands

from loopback.discord import DiscordServer, payloads
from loopback.discord.contract import discord_contract
from loopback.discord.state import Guild

WAIT = 10.0  # seconds: every wait is bounded


class SignupModal(discord.ui.Modal, title="Inscription"):
    name = discord.ui.TextInput(label="Nom", custom_id="nom")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Merci {self.name.value} !", ephemeral=True)


class SignupView(discord.ui.View):
    """A persistent view: its button works for messages posted before a restart."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="S'inscrire", custom_id="inscription:42")
    async def signup(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(SignupModal())


class Bot(discord.Client):
    """A minimal bot as the hub's will be: guilds + members intents, guild commands."""

    def __init__(self, guild_id: str) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.members = True
        # READY waits this long after the last GUILD_CREATE (2 s by default).
        super().__init__(intents=intents, chunk_guilds_at_startup=False, guild_ready_timeout=0.2)
        self.guild = discord.Object(int(guild_id))
        self.tree = app_commands.CommandTree(self)
        self.joined: list[str] = []
        self.resumed = asyncio.Event()

        @app_commands.command(name="inscrire", description="S'inscrire à un événement")
        async def inscrire(interaction: discord.Interaction, evenement: str) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send(
                f"Inscription enregistrée : {evenement}", ephemeral=True
            )

        @inscrire.autocomplete("evenement")
        async def evenements(interaction: discord.Interaction, current: str) -> list:
            names = ["Assemblée générale", "Atelier prévention"]
            return [app_commands.Choice(name=n, value=n) for n in names if current in n]

        @app_commands.command(name="annoncer", description="Annoncer un événement")
        async def annoncer(interaction: discord.Interaction, texte: str) -> None:
            await interaction.response.send_message(texte, view=SignupView())

        self.tree.add_command(inscrire, guild=self.guild)
        self.tree.add_command(annoncer, guild=self.guild)

    async def setup_hook(self) -> None:
        self.add_view(SignupView())
        await self.tree.sync(guild=self.guild)

    async def on_member_join(self, member: discord.Member) -> None:
        self.joined.append(member.name)

    async def on_resumed(self) -> None:
        self.resumed.set()


@contextlib.asynccontextmanager
async def running(server: DiscordServer, guild: Guild) -> AsyncIterator[Bot]:
    bot = Bot(guild.id)
    task = asyncio.create_task(bot.start(server.token))
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        await asyncio.wait({ready, task}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises what stopped the bot
        assert ready.done(), "the bot did not get READY in time"
        yield bot
    finally:
        ready.cancel()
        await asyncio.wait_for(bot.close(), WAIT)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, WAIT)


def command(guild: Guild, name: str) -> dict:
    return next(c for c in guild.commands if c["name"] == name)


async def test_a_bot_logs_in_syncs_its_guild_commands_and_answers_a_deferred_slash_command(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    member = discord_server.add_member(guild, "camille")
    async with running(discord_server, guild):
        assert [r.method for r in discord_server.requests_to("/users/@me")] == ["GET"]
        (sync,) = discord_server.requests_to(
            "PUT /applications/{application_id}/guilds/{guild_id}/commands"
        )
        assert sync.path.endswith(f"/guilds/{guild.id}/commands")
        assert sorted(c["name"] for c in json.loads(sync.raw)) == ["annoncer", "inscrire"]

        context = discord_server.context(guild, member)
        slash = payloads.slash_command(command(guild, "inscrire"), {"evenement": "AG"}, **context)
        interaction = await discord_server.send(slash)
        await discord_server.wait_until(lambda: interaction.followups, WAIT)

    (callback,) = discord_server.requests_to(
        "POST /interactions/{interaction_id}/{interaction_token}/callback"
    )
    assert callback.query == {"with_response": "1"}
    assert json.loads(callback.raw) == {"type": 5, "data": {"flags": 64}}
    (followup,) = interaction.followups
    assert followup["content"] == "Inscription enregistrée : AG"
    assert followup["flags"] & 64


async def test_autocomplete_offers_the_choices_matching_what_the_member_typed(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    member = discord_server.add_member(guild, "camille")
    async with running(discord_server, guild):
        typing = payloads.autocomplete(
            command(guild, "inscrire"),
            {"evenement": "Atelier"},
            "evenement",
            **discord_server.context(guild, member),
        )
        interaction = await discord_server.send(typing)
        await discord_server.wait_until(lambda: interaction.callback, WAIT)
    assert interaction.callback == {
        "type": 8,
        "data": {"choices": [{"name": "Atelier prévention", "value": "Atelier prévention"}]},
    }


async def test_a_button_click_opens_a_modal_whose_submission_is_answered_directly(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    member = discord_server.add_member(guild, "camille")
    context = discord_server.context(guild, member)
    async with running(discord_server, guild):
        announce = await discord_server.send(
            payloads.slash_command(command(guild, "annoncer"), {"texte": "AG le 12"}, **context)
        )
        await discord_server.wait_until(lambda: announce.original, WAIT)
        posted = announce.original
        assert posted["content"] == "AG le 12"
        assert posted["components"][0]["components"][0]["custom_id"] == "inscription:42"

        click = await discord_server.send(
            payloads.button_click(posted, "inscription:42", **context)
        )
        await discord_server.wait_until(lambda: click.callback, WAIT)
        assert click.callback["type"] == 9
        modal = click.callback["data"]
        assert modal["title"] == "Inscription"

        submit = await discord_server.send(
            payloads.modal_submit(modal["custom_id"], {"nom": "Camille Martin"}, **context)
        )
        await discord_server.wait_until(lambda: submit.callback, WAIT)
    assert submit.callback["type"] == 4
    assert submit.callback["data"]["content"] == "Merci Camille Martin !"
    assert submit.callback["data"]["flags"] == 64  # ephemeral


async def test_a_dropped_gateway_resumes_and_delivers_the_member_who_joined_meanwhile(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    async with running(discord_server, guild) as bot:
        seen = discord_server.gateway.session.sequence
        async with discord_server.offline():
            await discord_server.member_joins(guild, "alice")
        await asyncio.wait_for(bot.resumed.wait(), WAIT)
        await discord_server.wait_until(lambda: bot.joined, WAIT)
    assert bot.joined == ["alice"]
    assert discord_server.gateway.identifies == 1
    resume = next(m for m in discord_server.gateway.received if m["op"] == 6)
    assert resume["d"]["seq"] == seen
    assert resume["d"]["session_id"] == discord_server.gateway.session.id
    assert discord_server.gateway.replayed == ["GUILD_MEMBER_ADD"]


async def test_a_bot_whose_session_is_gone_identifies_again(
    discord_server: DiscordServer,
) -> None:
    """INVALID_SESSION (op 9) makes discord.py IDENTIFY again, after its own 5 s pause."""
    guild = discord_server.add_guild("CPTS du Val")
    async with running(discord_server, guild) as bot:
        async with discord_server.offline():
            discord_server.gateway.sessions.clear()  # as after a long outage
        await discord_server.wait_until(lambda: discord_server.gateway.identifies == 2, WAIT)
        await discord_server.member_joins(guild, "alice")
        await discord_server.wait_until(lambda: bot.joined, WAIT)
    assert [m["op"] for m in discord_server.gateway.received if m["op"] in (2, 6)] == [2, 6, 2]
    assert not bot.resumed.is_set()


async def test_a_rate_limited_post_is_sent_once_after_the_retry_after_discord_asked_for(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    channel_id = next(iter(guild.channels))
    route = "POST /channels/{channel_id}/messages"
    async with running(discord_server, guild) as bot:
        discord_server.fail_next(route, 429, retry_after=0.4)
        channel = bot.get_channel(int(channel_id))
        await asyncio.wait_for(channel.send("Bonjour à tous"), WAIT)
    limited, sent = discord_server.requests_to(route)
    assert (limited.status, sent.status) == (429, 200)
    assert sent.at - limited.at >= 0.4
    assert limited.raw == sent.raw
    assert [m["content"] for m in discord_server.messages_in(channel_id)] == ["Bonjour à tous"]


async def test_a_server_error_on_a_post_is_retried(discord_server: DiscordServer) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    channel_id = next(iter(guild.channels))
    route = "POST /channels/{channel_id}/messages"
    async with running(discord_server, guild) as bot:
        discord_server.fail_next(route, 502)
        channel = bot.get_channel(int(channel_id))
        await asyncio.wait_for(channel.send("Rappel : AG demain"), WAIT)
    assert [r.status for r in discord_server.requests_to(route)] == [502, 200]
    assert [m["content"] for m in discord_server.messages_in(channel_id)] == ["Rappel : AG demain"]


async def test_a_refused_token_fails_the_login(discord_server: DiscordServer) -> None:
    client = discord.Client(intents=discord.Intents(guilds=True))
    try:
        with pytest.raises(discord.LoginFailure):
            await asyncio.wait_for(client.login("un-jeton-révoqué"), WAIT)
    finally:
        await client.close()
    (login,) = discord_server.requests_to("GET /users/@me")
    assert login.status == 401
    assert login.headers["Authorization"] == "Bot un-jeton-révoqué"


async def test_a_member_with_closed_dms_gives_forbidden_50007(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    member = discord_server.add_member(guild, "dominique", dms_open=False)
    async with running(discord_server, guild) as bot:
        cached = bot.get_guild(int(guild.id)).get_member(int(member["user"]["id"]))
        with pytest.raises(discord.Forbidden) as refused:
            await asyncio.wait_for(cached.send("Votre inscription est confirmée"), WAIT)
    assert refused.value.code == 50007
    (opened,) = discord_server.requests_to("POST /users/@me/channels")
    assert json.loads(opened.raw) == {"recipient_id": int(member["user"]["id"])}


def test_the_contract_check_refuses_a_body_discord_would_refuse() -> None:
    contract = discord_contract()
    operation = contract.match("POST", "/channels/1/messages")
    assert contract.body_problems(operation, {"content": "Bonjour"}, "application/json") == []
    problems = contract.body_problems(operation, {"content": 42}, "application/json")
    assert problems == [
        "create_message: content: 42 is not of type 'string', 'null'",
    ]


async def test_a_bad_body_or_an_unknown_route_is_refused_and_kept_as_a_problem(
    discord_server: DiscordServer,
) -> None:
    headers = {"Authorization": f"Bot {discord_server.token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(discord_server.api_url + "/", headers=headers) as http:
        async with http.post("channels/1/messages", data=b'{"content": 42}') as bad_body:
            assert bad_body.status == 400
            assert (await bad_body.json())["code"] == 50035
        async with http.get("users/@me/secrets") as unknown:
            assert unknown.status == 404
    assert len(discord_server.problems) == 2
    assert "content: 42 is not of type" in discord_server.problems[0]
    assert discord_server.problems[1] == "GET /users/@me/secrets: not a route of Discord's API"
    discord_server.problems.clear()  # seen: the fixture would fail the test otherwise


async def test_roles_threads_and_scheduled_events_work_through_discord_py(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    role = discord_server.state.add_role(guild, "Adhérents")
    member = discord_server.add_member(guild, "camille")
    member_id = int(member["user"]["id"])
    async with running(discord_server, guild) as bot:
        server = bot.get_guild(int(guild.id))
        cached = server.get_member(member_id)
        await asyncio.wait_for(cached.add_roles(discord.Object(int(role["id"]))), WAIT)
        assert guild.members[member["user"]["id"]]["roles"] == [role["id"]]
        await asyncio.wait_for(cached.remove_roles(discord.Object(int(role["id"]))), WAIT)
        assert guild.members[member["user"]["id"]]["roles"] == []

        fetched = await asyncio.wait_for(server.fetch_member(member_id), WAIT)
        assert fetched.name == "camille"
        assert "Adhérents" in [r.name for r in await server.fetch_roles()]
        assert [c.name for c in await server.fetch_channels()] == ["général"]

        channel = server.get_channel(int(next(iter(guild.channels))))
        thread = await asyncio.wait_for(
            channel.create_thread(
                name="Questions sur l'AG", type=discord.ChannelType.public_thread
            ),
            WAIT,
        )
        assert guild.channels[str(thread.id)]["name"] == "Questions sur l'AG"

        start = discord.utils.utcnow() + datetime.timedelta(days=7)
        event = await asyncio.wait_for(
            server.create_scheduled_event(
                name="Assemblée générale",
                start_time=start,
                end_time=start + datetime.timedelta(hours=2),
                entity_type=discord.EntityType.external,
                location="Maison de santé, Valence",
                privacy_level=discord.PrivacyLevel.guild_only,
            ),
            WAIT,
        )
        await asyncio.wait_for(event.edit(name="AG 2027"), WAIT)
        assert guild.scheduled_events[str(event.id)]["name"] == "AG 2027"
        await asyncio.wait_for(event.delete(), WAIT)
        assert guild.scheduled_events == {}


async def test_members_are_chunked_over_the_gateway_when_the_bot_asks(
    discord_server: DiscordServer,
) -> None:
    guild = discord_server.add_guild("CPTS du Val")
    for number in range(1, 1300):  # large (> 250) and more than one chunk (1,000 members each)
        discord_server.add_member(guild, f"membre-{number}")
    intents = discord.Intents(guilds=True, members=True)
    client = discord.Client(intents=intents, guild_ready_timeout=0.2)  # chunks at startup
    task = asyncio.create_task(client.start(discord_server.token))
    try:
        await asyncio.wait_for(client.wait_until_ready(), WAIT)
        server = client.get_guild(int(guild.id))
        assert server.chunked
        assert server.member_count == len(server.members) == 1300
        assert server.get_member_named("membre-1299") is not None
    finally:
        await asyncio.wait_for(client.close(), WAIT)
        await asyncio.wait_for(task, WAIT)
    (request,) = [m for m in discord_server.gateway.received if m["op"] == 8]
    assert request["d"]["guild_id"] == int(guild.id)
    chunks = [e for e in discord_server.gateway.session.events if e["t"] == "GUILD_MEMBERS_CHUNK"]
    assert [len(chunk["d"]["members"]) for chunk in chunks] == [1000, 300]
