"""Modals after a restart, modals open for several members at once, and interactions that
nothing else answers: each gets its answer in time."""

from __future__ import annotations

import asyncio

import pytest

from bots.modals import submitted_choices, submitted_values
from hub.config import Question
from loopback.discord import payloads
from tests.bots.agenda_helpers import event, identified, wait_for_post
from tests.bots.conftest import Community
from tests.bots.members import answer, button_ids, click, submit
from tests.bots.test_announcements import annonce, staff_member, submit_modal
from tests.bots.test_identification import welcome
from tests.bots.test_questions import open_question, submit_question, threads
from tests.community.helpers import code_mails

WAIT = 10.0


async def test_a_modal_opened_before_a_restart_is_answered_after_it(community: Community) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    member = discord.add_member(guild, "camille")
    async with community.bots():
        opened = await click(discord, guild, member, welcome(community), "hub:identifier")
    async with community.bots():
        sent = answer(await submit(discord, guild, member, opened, {"email": "c@cpts.fr"}))
    assert button_ids(sent) == ["hub:code"]
    assert len(code_mails(community.config, "c@cpts.fr")) == 1


async def test_members_with_the_same_modal_open_each_get_their_own_answer(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    alix, camille = discord.add_member(guild, "alix"), discord.add_member(guild, "camille")
    async with community.bots():
        first = await click(discord, guild, alix, welcome(community), "hub:identifier")
        second = await click(discord, guild, camille, welcome(community), "hub:identifier")
        answers = [
            answer(await submit(discord, guild, alix, first, {"email": "alix@cpts.fr"})),
            answer(await submit(discord, guild, camille, second, {"email": "camille@cpts.fr"})),
        ]
    assert [button_ids(sent) for sent in answers] == [["hub:code"], ["hub:code"]]
    assert len(code_mails(community.config, "alix@cpts.fr")) == 1
    assert len(code_mails(community.config, "camille@cpts.fr")) == 1


async def test_a_modal_nothing_knows_is_told_to_start_again_within_three_seconds(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["elus"]
    member = discord.add_member(guild, "claude")
    async with community.bots():
        context = discord.context(guild, member)
        sent = await discord.send(
            payloads.modal_submit("hub:ancienne-version", {"x": "y"}, **context)
        )
        await discord.wait_until(lambda: sent.callback, WAIT)
    assert sent.callback is not None
    assert sent.callback["type"] == 4
    assert (
        sent.callback["data"]["content"] == "Cette fenêtre a expiré : recommencez, s'il vous plaît."
    )
    assert sent.callback["data"]["flags"] == 64
    assert sent.ack_seconds is not None and sent.ack_seconds < 3


async def test_an_event_s_questions_opened_before_a_restart_register_after_it(
    community: Community,
) -> None:
    asked = [Question(key="cpts", label="Votre CPTS", required=True)]
    shown = await event(community, "Rendez-vous des CPTS", questions=asked)
    member = await identified(community, "camille")
    discord, guild = community.discord, community.guilds["salaries"]
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
        opened = await click(discord, guild, member, post, f"hub:inscrire:{shown.id}:q")
    async with community.bots():
        done = answer(await submit(discord, guild, member, opened, {"cpts": "CPTS Val"}))
    assert "vous êtes inscrit(e) à « Rendez-vous des CPTS »" in done["content"]
    (row,) = await community.services.events.registrations(shown.id)
    assert row.registration.answers == {"cpts": "CPTS Val"}


async def test_a_question_opened_before_a_restart_is_answered_after_it(
    community: Community,
) -> None:
    dominique = community.discord.add_member(community.guilds["salaries"], "dominique")
    async with community.bots():
        opened = await open_question(community, dominique)
    async with community.bots():
        sent = await submit_question(community, dominique, opened, "outils", "Agenda", "Où ?")
    (told,) = sent.followups
    (thread,) = threads(community)
    assert told["content"].startswith(f"Votre question est posée dans <#{thread['id']}>")
    assert thread["name"] == "Outils et numérique · Agenda"
    (first,) = community.discord.messages_in(thread["id"])
    assert first["embeds"][0]["description"] == "Où ?"


async def test_members_asking_a_question_at_the_same_time_each_get_their_own_thread(
    community: Community,
) -> None:
    guild = community.guilds["salaries"]
    alix = community.discord.add_member(guild, "alix")
    camille = community.discord.add_member(guild, "camille")
    async with community.bots():
        first = await open_question(community, alix)
        second = await open_question(community, camille)
        await asyncio.gather(
            submit_question(community, alix, first, "juridique", "Statuts", "Texte d'Alix"),
            submit_question(community, camille, second, "outils", "Agenda", "Texte de Camille"),
        )
    asked = {}
    for thread in threads(community):
        (post,) = community.discord.messages_in(thread["id"])
        asked[thread["name"]] = (post["content"], post["embeds"][0]["description"])
    assert asked == {
        "Juridique · Statuts": (
            f"<@&{community.role_id('salaries', 'staff')}> · question de "
            f"<@{alix['user']['id']}> (Juridique)",
            "Texte d'Alix",
        ),
        "Outils et numérique · Agenda": (
            f"<@&{community.role_id('salaries', 'staff')}> · question de "
            f"<@{camille['user']['id']}> (Outils et numérique)",
            "Texte de Camille",
        ),
    }


async def test_an_announcement_opened_before_a_restart_is_previewed_after_it(
    community: Community,
) -> None:
    camille = staff_member(community, "camille")
    async with community.bots():
        opened = await annonce(community, camille, {"serveurs": "tous", "notifier": True})
    async with community.bots():
        preview = await submit_modal(community, camille, opened, {"titre": "AG", "texte": "Juin"})
    message = preview.original
    assert message is not None and message["flags"] & 64
    assert message["content"] == (
        "**Aperçu** : cette annonce sera publiée dans #annonces de « Collectif des salariés », "
        "« Collectif des élus » avec notification @adhérent."
    )
    assert message["embeds"][0]["title"] == "AG"
    assert message["embeds"][0]["description"] == "Juin"


async def test_staff_writing_announcements_at_the_same_time_each_get_their_own_preview(
    community: Community,
) -> None:
    camille, bob = staff_member(community, "camille"), staff_member(community, "bob")
    async with community.bots():
        first = await annonce(community, camille, {"serveurs": "tous", "notifier": True})
        second = await annonce(community, bob)
        previews = await asyncio.gather(
            submit_modal(community, camille, first, {"titre": "AG", "texte": "Juin"}),
            submit_modal(community, bob, second, {"titre": "Webinaire", "texte": "Ce soir"}),
        )
    shown = [(p.original or {}).get("content") for p in previews]
    assert shown == [
        "**Aperçu** : cette annonce sera publiée dans #annonces de « Collectif des salariés », "
        "« Collectif des élus » avec notification @adhérent.",
        "**Aperçu** : cette annonce sera publiée dans #annonces de « Collectif des salariés ».",
    ]
    embeds = [(p.original or {}).get("embeds", [{}])[0] for p in previews]
    assert [(e.get("title"), e.get("description")) for e in embeds] == [
        ("AG", "Juin"),
        ("Webinaire", "Ce soir"),
    ]


async def test_an_announcement_submitted_by_a_member_not_staff_is_refused(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    member = discord.add_member(guild, "dominique")
    async with community.bots():
        context = discord.context(guild, member)
        values = {"titre": "AG", "texte": "Juin"}
        sent = await discord.send(payloads.modal_submit("hub:annonce:tous:1", values, **context))
        await discord.wait_until(lambda: sent.callback, WAIT)
    assert sent.callback is not None and sent.callback["type"] == 4, "no preview"
    data = sent.callback["data"]
    assert data["content"] == "Cette action est réservée à l'équipe de la fédération."
    assert data["flags"] == 64


def test_a_select_s_values_are_read_from_its_label_as_discord_sends_them() -> None:
    shown = {
        "custom_id": "hub:exemple",
        "components": [
            {"type": 10, "content": "Choisissez."},
            {"type": 18, "label": "Un", "component": {"type": 3, "custom_id": "un", "options": []}},
            {
                "type": 18,
                "label": "Plusieurs",
                "component": {
                    "type": 3,
                    "custom_id": "plusieurs",
                    "options": [{"label": x, "value": x} for x in ("a", "b", "c")],
                },
            },
            {"type": 18, "label": "Texte", "component": {"type": 4, "custom_id": "texte"}},
        ],
    }
    values: dict[str, str | list[str]] = {"plusieurs": ["c", "a"], "texte": "Bonjour"}
    context = {"application_id": "1", "guild_id": "2", "channel": {"id": "3"}, "member": {}}
    data = payloads.modal_answer(shown, values, **context)["data"]
    assert data["components"][2] == {
        "type": 18,
        "id": 4,
        "component": {"type": 3, "id": 5, "custom_id": "plusieurs", "values": ["c", "a"]},
    }
    assert submitted_values(data) == {"un": "", "plusieurs": "c", "texte": "Bonjour"}
    assert submitted_choices(data) == {"un": [], "plusieurs": ["c", "a"]}


def test_the_stand_in_refuses_an_input_or_an_option_the_modal_does_not_have() -> None:
    shown = {
        "custom_id": "hub:exemple",
        "components": [
            {
                "type": 18,
                "label": "Catégorie",
                "component": {
                    "type": 3,
                    "custom_id": "categorie",
                    "options": [{"label": "A", "value": "a"}],
                },
            }
        ],
    }
    context = {"application_id": "1", "guild_id": "2", "channel": {"id": "3"}, "member": {}}
    with pytest.raises(ValueError, match="is not a list of"):
        payloads.modal_answer(shown, {"categorie": ["z"]}, **context)
    with pytest.raises(ValueError, match="no input"):
        payloads.modal_answer(shown, {"sujet": "x"}, **context)
