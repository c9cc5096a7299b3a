"""Identification through the hub's real bots on the stand-in Discord: « Je m'identifie » →
e-mail modal → code read from the outbox e-mail → code modal → roles and link."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from hub.config import load_config
from hub.subscribers.service import Person
from loopback.discord.community import ENVS, TOKENS, hub_services
from tests.bots.conftest import Community
from tests.bots.members import answer, button_ids, click, slash, submit
from tests.community.helpers import last_code, outbox_count

WAIT = 10.0


def posts(community: Community, server: str, channel: str) -> list[dict[str, Any]]:
    """The bot's own posts in a channel (not the answers to interactions made there)."""
    messages = community.discord.messages_in(community.channel(server, channel)["id"])
    return [m for m in messages if "webhook_id" not in m]


def welcome(community: Community, server: str = "salaries") -> dict[str, Any]:
    (message,) = posts(community, server, "accueil")
    return message


async def identify(
    community: Community, member: dict[str, Any], address: str, server: str = "salaries"
) -> dict[str, Any]:
    """The member identifies with `address`; returns the bot's answer to the code."""
    discord, guild = community.discord, community.guilds[server]
    opened = await click(discord, guild, member, welcome(community, server), "hub:identifier")
    sent = answer(await submit(discord, guild, member, opened, {"email": address}))
    assert button_ids(sent) == ["hub:code"]
    code_modal = await click(discord, guild, member, sent, "hub:code")
    code = last_code(community.config, address)
    return answer(await submit(discord, guild, member, code_modal, {"code": code}))


async def test_a_member_contact_identifies_and_gets_the_roles_of_the_record(
    community: Community,
) -> None:
    people = community.services.subscribers
    person = await people.save_person(
        Person(email="camille@cpts-val.fr", role="coordinateur", member=True)
    )
    guild = community.guilds["salaries"]
    member = community.discord.add_member(guild, "camille")
    async with community.bots():
        done = await identify(community, member, "camille@cpts-val.fr")
    assert "vous êtes identifié(e)" in done["content"]
    assert "« adhérent », « coordinateur »" in done["content"]
    roles = guild.members[member["user"]["id"]]["roles"]
    wanted = {
        community.role_id("salaries", "adhérent"),
        community.role_id("salaries", "coordinateur"),
    }
    assert set(roles) == wanted
    (link,) = await community.services.identification.links_of(person.id)
    assert (link.server, link.discord_user_id) == ("salaries", int(member["user"]["id"]))
    assert link.roles == ("adherent", "coordinateur")


async def test_every_interaction_is_acknowledged_within_three_seconds(
    community: Community,
) -> None:
    member = community.discord.add_member(community.guilds["salaries"], "camille")
    async with community.bots():
        await identify(community, member, "camille@cpts-val.fr")
    interactions = list(community.discord.state.interactions.values())
    assert len(interactions) == 4
    assert all(i.ack_seconds is not None and i.ack_seconds < 3 for i in interactions)


async def test_the_answer_is_the_same_for_an_unknown_address(community: Community) -> None:
    await community.services.subscribers.save_person(Person(email="m@cpts.fr", member=True))
    discord, guild = community.discord, community.guilds["salaries"]
    known, stranger = discord.add_member(guild, "known"), discord.add_member(guild, "stranger")
    answers = []
    async with community.bots():
        for member, address in ((known, "m@cpts.fr"), (stranger, "nobody@exemple.fr")):
            opened = await click(discord, guild, member, welcome(community), "hub:identifier")
            answers.append(answer(await submit(discord, guild, member, opened, {"email": address})))
    assert answers[0]["content"] == answers[1]["content"]
    assert answers[0]["components"] == answers[1]["components"]
    assert outbox_count(community.config) == 2


async def test_wrong_codes_exhaust_the_tries_and_give_no_role(community: Community) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    await community.services.subscribers.save_person(Person(email="m@cpts.fr", member=True))
    member = discord.add_member(guild, "camille")
    texts = []
    async with community.bots():
        opened = await click(discord, guild, member, welcome(community), "hub:identifier")
        reply = answer(await submit(discord, guild, member, opened, {"email": "m@cpts.fr"}))
        wrong = "000000" if last_code(community.config, "m@cpts.fr") != "000000" else "111111"
        for _ in range(5):
            code_modal = await click(discord, guild, member, reply, "hub:code")
            reply = answer(await submit(discord, guild, member, code_modal, {"code": wrong}))
            texts.append(reply["content"])
    assert texts[0] == "Ce code n'est pas le bon. Il vous reste 4 essai(s)."
    assert "essais sont épuisés" in texts[-1]
    assert button_ids(reply) == ["hub:identifier"]
    assert guild.members[member["user"]["id"]]["roles"] == []


async def test_too_many_codes_are_refused_politely(community: Community) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    member = discord.add_member(guild, "camille")
    async with community.bots():
        for n in range(6):
            opened = await click(discord, guild, member, welcome(community), "hub:identifier")
            reply = answer(
                await submit(discord, guild, member, opened, {"email": f"a{n}@exemple.fr"})
            )
    assert reply["content"].startswith("Trop de codes demandés")
    assert outbox_count(community.config) == 5


async def test_a_stranger_is_validated_by_staff_and_gets_the_roles(community: Community) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    member = discord.add_member(guild, "nouvelle")
    staff = discord.add_member(guild, "dominique")
    staff["roles"] = [community.role_id("salaries", "staff")]
    async with community.bots():
        done = await identify(community, member, "nouvelle@cpts-sud.fr")
        assert "l'équipe de la fédération va vérifier" in done["content"]
        (notice,) = await discord.wait_until(lambda: posts(community, "salaries", "staff"), WAIT)
        custom_id = f"hub:valider:{member['user']['id']}"
        refused = await click(discord, guild, member, notice, custom_id)
        assert refused.callback["data"]["content"].startswith("Seule l'équipe")
        opened = await click(discord, guild, staff, notice, custom_id)
        validated = answer(
            await submit(discord, guild, staff, opened, {"role": "Salarié", "cpts": "CPTS Sud"})
        )
    assert "« adhérent », « salarié »" in validated["content"]
    staff_mention = f"<@{staff['user']['id']}>"
    assert notice["content"].endswith(f"✅ Validé(e) par {staff_mention} : salarié, CPTS Sud.")
    (button,) = notice["components"][0]["components"]
    assert (button["label"], button["disabled"]) == ("Validé(e)", True)
    wanted = {community.role_id("salaries", "adhérent"), community.role_id("salaries", "salarié")}
    assert set(guild.members[member["user"]["id"]]["roles"]) == wanted
    person = await community.services.subscribers.find("nouvelle@cpts-sud.fr")
    assert person is not None
    assert (person.member, person.role, person.organisation) == (True, "salarie", "CPTS Sud")


async def test_my_data_shows_what_the_hub_holds_ephemerally(community: Community) -> None:
    await community.services.subscribers.save_person(
        Person(email="m@cpts.fr", first_name="Camille", organisation="CPTS du Val", member=True)
    )
    discord, guild = community.discord, community.guilds["salaries"]
    member = discord.add_member(guild, "camille")
    async with community.bots():
        before = answer(await slash(discord, guild, member, "mes-donnees"))
        await identify(community, member, "m@cpts.fr")
        after = answer(await slash(discord, guild, member, "mes-donnees"))
    assert before["content"].startswith("Vous n'êtes pas encore identifié(e)")
    assert "Adresse : m@cpts.fr" in after["content"]
    assert "Organisation : CPTS du Val" in after["content"]
    assert "Comptes Discord reliés : Collectif des salariés" in after["content"]


async def test_a_role_discord_refuses_to_give_is_one_french_line_and_a_polite_answer(
    community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    await community.services.subscribers.save_person(Person(email="m@cpts.fr", member=True))
    guild = community.guilds["salaries"]
    guild.roles[community.role_id("salaries", "adhérent")]["position"] = 200  # above the bot's
    member = community.discord.add_member(guild, "camille")
    with caplog.at_level(logging.INFO, logger="bots"):
        async with community.bots():
            done = await identify(community, member, "m@cpts.fr")
    assert "Vos rôles n'ont pas pu être donnés" in done["content"]
    assert guild.members[member["user"]["id"]]["roles"] == []
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert line.startswith("bot Discord « Collectif des salariés » : Discord refuse de donner")


async def test_channels_and_roles_may_be_given_by_id(community: Community) -> None:
    accueil = community.channel("salaries", "accueil")["id"]
    adherent = community.role_id("salaries", "adhérent")
    path = community.config.path
    text = path.read_text(encoding="utf-8")
    text = text.replace('accueil = "accueil"\nagenda', f'accueil = "{accueil}"\nagenda', 1)
    text = text.replace('adherent = "adhérent"              #', f'adherent = "{adherent}" #', 1)
    path.write_text(text, encoding="utf-8")
    config = load_config(path, env={})
    assert config.discord["salaries"].channel("accueil") == accueil
    services = hub_services(config, community.services.db, {ENVS["salaries"]: TOKENS["salaries"]})
    community.services = services
    await services.subscribers.save_person(Person(email="m@cpts.fr", member=True))
    member = community.discord.add_member(community.guilds["salaries"], "camille")
    async with community.bots(services):
        await identify(community, member, "m@cpts.fr")
    assert community.guilds["salaries"].members[member["user"]["id"]]["roles"] == [adherent]
