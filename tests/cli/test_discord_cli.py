"""`hub discord` against the stand-in Discord, as staff type it (the real command, in this
process): status, invite, check, link and unlink."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import discord

from hub.subscribers.service import Person
from loopback.discord import payloads
from loopback.discord.community import ENVS, TOKENS
from tests.bots import conftest as bots_fixtures
from tests.bots.conftest import Community
from tests.cli.conftest import invoke_hub

# The stand-in Discord and the hub's bots configured for it, as tests/bots/ has them.
discord_server = bots_fixtures.discord_server
community = bots_fixtures.community

WAIT = 60.0


async def hub_discord(community: Community, *args: str) -> tuple[int, str, str]:
    """`hub discord …` in this process, in a thread (the stand-in keeps serving in this loop
    meanwhile), the tokens and the stand-in's address in its environment."""
    env = dict(community.discord.env) | {ENVS[key]: token for key, token in TOKENS.items()}
    result = await asyncio.wait_for(
        asyncio.to_thread(invoke_hub, community.config.path, "discord", *args, env=env), WAIT
    )
    return result.returncode, result.stdout, result.stderr


async def test_status_says_each_bot_s_state_and_its_identified_members(
    community: Community,
) -> None:
    people = community.services.subscribers
    person = await people.save_person(Person(email="m@cpts.fr", member=True))
    identification = community.services.identification
    await identification.link_by_hand(42, person.email, server="elus", staff="test")
    await identification.request_code(43, "en-cours@cpts.fr", server="salaries")
    async with community.bots():
        pass
    code, out, err = await hub_discord(community, "status")
    assert code == 0, err
    salaries, elus = out.split("Collectif des élus (elus)\n")
    assert "configuré : oui" in salaries and "jeton : présent" in salaries
    assert "dernière connexion : jamais" not in salaries
    assert "membres identifiés : 0" in salaries
    assert "membres identifiés : 1" in elus
    assert "codes en attente : 1" in salaries and "codes en attente : 0" in elus


async def test_invite_gives_each_bot_s_link_with_exactly_its_scopes(
    community: Community,
) -> None:
    code, out, err = await hub_discord(community, "invite")
    assert code == 0, err
    links = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert len(links) == 2
    query = parse_qs(urlsplit(links[0]).query)
    assert query["client_id"] == [community.apps["salaries"].application_id]
    assert query["scope"] == ["bot applications.commands"]
    assert query["guild_id"] == [community.guilds["salaries"].id]
    # view, send, embed, history in the channels; manage roles and events in the server;
    # create private threads, send in them (adding people) and lock them (#questions).
    wanted = discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        read_message_history=True,
        manage_roles=True,
        manage_events=True,
        create_events=True,
        create_private_threads=True,
        send_messages_in_threads=True,
        manage_threads=True,
    )
    assert query["permissions"] == [str(wanted.value)]


async def test_check_passes_then_names_what_discord_would_refuse(community: Community) -> None:
    code, out, err = await hub_discord(community, "check")
    assert (code, out.count("À CORRIGER")) == (0, 0), out + err
    assert out.endswith("Tout est prêt.\n")
    guild = community.guilds["salaries"]
    adherent = community.role_id("salaries", "adhérent")
    guild.roles[adherent]["position"] = 200  # above the bot's role
    agenda = community.channel("salaries", "agenda")
    del guild.channels[agenda["id"]]
    code, out, err = await hub_discord(community, "check", "salaries")
    assert code == 2  # the CLI's exit status for a French error
    assert (
        "À CORRIGER le rôle « adhérent » est au-dessus du rôle du bot « Hub salariés » : "
        "Discord refusera de le donner ; remontez le rôle du bot"
    ) in out
    assert "À CORRIGER salon introuvable : channels.agenda = « agenda »" in out
    assert "2 point(s) à corriger" in err
    # The questions' private threads: the bot locks them once resolved (Manage Threads).
    guild.owner_id = "1"  # someone else owns the server (its owner has every permission)
    everyone = guild.roles[guild.id]  # every permission but Administrator (which passes all)
    everyone["permissions"] = str(int(everyone["permissions"]) & ~(1 << 3))
    questions = community.channel("salaries", "questions")
    deny = discord.Permissions(manage_threads=True).value
    questions["permission_overwrites"] = [
        {"id": guild.bot_id, "type": 1, "allow": "0", "deny": str(deny)}
    ]
    code, out, err = await hub_discord(community, "check", "salaries")
    assert "À CORRIGER salon #questions (questions) : il manque gérer les fils" in out
    assert "3 point(s) à corriger" in err


async def test_link_gives_the_roles_and_unlink_takes_them_back(community: Community) -> None:
    await community.services.subscribers.save_person(
        Person(email="m@cpts.fr", role="salarie", member=True)
    )
    guild = community.guilds["salaries"]
    member = community.discord.add_member(guild, "camille")
    user_id = member["user"]["id"]
    code, out, err = await hub_discord(community, "link", "salaries", user_id, "m@cpts.fr")
    assert code == 0, err
    assert "Rôles donnés : adherent, salarie" in out
    wanted = {community.role_id("salaries", "adhérent"), community.role_id("salaries", "salarié")}
    assert set(guild.members[user_id]["roles"]) == wanted
    code, out, err = await hub_discord(community, "unlink", "salaries", user_id)
    assert code == 0, err
    assert guild.members[user_id]["roles"] == []
    code, out, err = await hub_discord(community, "unlink", "salaries", user_id)
    assert code == 2  # the CLI's exit status for a French error
    assert "n'est relié à personne" in err


async def test_link_to_an_unknown_address_is_refused_in_french(community: Community) -> None:
    code, _, err = await hub_discord(community, "link", "salaries", "42", "x@exemple.fr")
    assert code == 2  # the CLI's exit status for a French error
    assert "aucune personne enregistrée sous l'adresse x@exemple.fr" in err
    assert "Traceback" not in err


async def test_check_names_a_permission_a_channel_overwrite_denies(community: Community) -> None:
    guild = community.guilds["salaries"]
    guild.owner_id = community.discord.add_member(guild, "présidente")["user"]["id"]
    everyone = guild.roles[guild.id]
    administrator, send_messages = 1 << 3, 1 << 11
    everyone["permissions"] = str(int(everyone["permissions"]) & ~administrator)
    questions = community.channel("salaries", "questions")
    questions["permission_overwrites"] = [
        {"id": guild.id, "type": 0, "allow": "0", "deny": str(send_messages)}
    ]
    code, out, err = await hub_discord(community, "check", "salaries")
    assert code == 2, out + err
    assert "À CORRIGER salon #questions (questions) : il manque envoyer des messages" in out
    assert "  ok  salon #agenda (agenda)\n" in out  # the overwrite is on #questions only
    assert "1 point(s) à corriger" in err


async def test_link_also_links_the_account_where_it_is_a_member_of_the_other_server(
    community: Community,
) -> None:
    await community.services.subscribers.save_person(
        Person(email="m@cpts.fr", role="elu", member=True)
    )
    member = community.discord.add_member(community.guilds["salaries"], "camille")
    user_id = member["user"]["id"]
    elus = community.guilds["elus"]
    elus.members[user_id] = payloads.member(member["user"])
    code, out, err = await hub_discord(community, "link", "salaries", user_id, "m@cpts.fr")
    assert code == 0, err
    assert "Aussi relié sur « Collectif des élus » (membre de ce serveur) : rôles donnés : " in out
    wanted = {community.role_id("elus", "adhérent"), community.role_id("elus", "élu")}
    assert set(elus.members[user_id]["roles"]) == wanted
    link = await community.services.identification.link_of(int(user_id), server="elus")
    assert link is not None and set(link.roles) == {"adherent", "elu"}
