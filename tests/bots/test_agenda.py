"""The agenda through the hub's real bots on the stand-in Discord: posts in #agenda, sign-ups by
button and modal, the waiting list and its offer by DM, two servers kept apart, restarts."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
from datetime import timedelta

import pytest

from bots.cogs import agenda as agenda_cog
from hub.community import agenda as agenda_domain
from hub.config import Question
from hub.events.model import EventChanges
from hub.events.reminders import queue_reminder_now
from loopback.discord import payloads
from tests.bots.agenda_helpers import (
    POST_ROUTE,
    WAIT,
    agenda_posts,
    click_in_dm,
    dms_to,
    event,
    identified,
    post_of,
    press,
    wait_for_post,
)
from tests.bots.conftest import Community
from tests.bots.members import answer, button_ids, click, slash, submit


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agenda_cog, "POLL_SECONDS", 0.2)


def registered(rows: list, status: str) -> int:
    return sum(1 for r in rows if r.status == status)


async def test_an_event_is_posted_once_in_the_servers_whose_audiences_include_it(
    community: Community,
) -> None:
    for_all = await event(community, "Réunion flash : le SAS", audience="members")
    await event(community, "Rendez-vous des élus", audience="elus")
    await event(community, "Café des salariés", audience="salaries")
    await event(community, "Brouillon", publish=False)
    async with community.bots():
        await wait_for_post(community, "salaries", "Café des salariés")
        await wait_for_post(community, "elus", "Rendez-vous des élus")
        await asyncio.sleep(0.6)  # a few more polls: nothing posted twice
    async with community.bots():  # a restart posts nothing again
        await asyncio.sleep(0.6)
    salaries = sorted(m["embeds"][0]["title"] for m in agenda_posts(community, "salaries"))
    elus = sorted(m["embeds"][0]["title"] for m in agenda_posts(community, "elus"))
    assert salaries == ["Café des salariés", "Réunion flash : le SAS"]
    assert elus == ["Rendez-vous des élus", "Réunion flash : le SAS"]
    post = post_of(community, "salaries", "le SAS")
    stamp = int(for_all.starts_at.timestamp())
    fields = {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}
    assert fields["Date"] == f"<t:{stamp}:F> (<t:{stamp}:R>)"
    assert fields["Lieu"] == "En ligne"
    assert fields["Type"] == "Réunion flash"
    assert fields["Qui peut venir"] == "Réservé aux adhérents"
    assert button_ids(post) == [f"hub:inscrire:{for_all.id}", f"hub:desinscrire:{for_all.id}"]
    link = post["components"][0]["components"][2]
    assert link["style"] == 5 and link["url"].endswith(f"/evenements/{for_all.slug}")
    scheduled = community.guilds["salaries"].scheduled_events.values()
    assert sorted(s["name"] for s in scheduled) == salaries


async def test_an_identified_member_registers_by_button_answering_in_a_modal(
    community: Community,
) -> None:
    asked = [Question(key="cpts", label="Votre CPTS", required=True)]
    shown = await event(community, "Rendez-vous des CPTS", questions=asked)
    member = await identified(community, "camille")
    guild = community.guilds["salaries"]
    async with community.bots():
        post = await wait_for_post(community, "salaries", "Rendez-vous des CPTS")
        assert button_ids(post)[0] == f"hub:inscrire:{shown.id}:q"
        opened = await click(community.discord, guild, member, post, button_ids(post)[0])
        modal = opened.callback["data"]
        inputs = [row["components"][0]["custom_id"] for row in modal["components"]]
        assert inputs == ["cpts"]
        done = answer(await submit(community.discord, guild, member, opened, {"cpts": "CPTS Val"}))
    assert "vous êtes inscrit(e) à « Rendez-vous des CPTS »" in done["content"]
    (row,) = await community.services.events.registrations(shown.id)
    assert (row.email, row.status) == ("camille@cpts-exemple.fr", "confirmed")
    assert row.registration.source == "discord"
    assert row.registration.answers == {"cpts": "CPTS Val"}
    interactions = community.discord.state.interactions.values()
    assert all(i.ack_seconds is not None and i.ack_seconds < 3 for i in interactions)


async def test_an_unidentified_member_is_asked_to_identify_and_nobody_is_registered(
    community: Community,
) -> None:
    shown = await event(community)
    guild = community.guilds["salaries"]
    member = community.discord.add_member(guild, "inconnu")
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
        said = answer(await press(community, member, post, button_ids(post)[0]))
    assert "identifiez-vous d'abord" in said["content"]
    assert button_ids(said) == ["hub:identifier"]
    assert await community.services.events.registrations(shown.id) == []


async def test_the_waiting_list_then_a_seat_offered_by_dm_and_accepted(
    community: Community,
) -> None:
    shown = await event(community, "Atelier", capacity=1, waitlist="offer")
    first = await identified(community, "alice")
    second = await identified(community, "bruno")
    discord = community.discord
    async with community.bots():
        post = await wait_for_post(community, "salaries", "Atelier")
        register, unregister = button_ids(post)
        answer(await press(community, first, post, register))
        waiting = answer(await press(community, second, post, register))
        assert "liste d'attente, en position 1" in waiting["content"]
        gone = answer(await press(community, first, post, unregister))
        assert "est annulée" in gone["content"]
        await discord.wait_until(lambda: dms_to(community, second), WAIT)
        (offer,) = dms_to(community, second)
        assert "elle vous est réservée jusqu'au <t:" in offer["content"]
        (accept,) = button_ids(offer)
        assert accept.startswith("hub:accepter:")
        taken = await click_in_dm(community, "salaries", second, offer, accept)
    assert "vous êtes inscrit(e) à « Atelier »" in taken.followups[0]["content"]
    rows = {r.email: r.status for r in await community.services.events.registrations(shown.id)}
    assert rows == {"alice@cpts-exemple.fr": "cancelled", "bruno@cpts-exemple.fr": "confirmed"}
    assert dms_to(community, first) == []


async def test_events_of_one_server_never_appear_in_the_other(community: Community) -> None:
    elus = await event(community, "Rendez-vous des élus", audience="elus")
    await event(community, "Café des salariés", audience="salaries")
    member = await identified(community, "camille")
    guild, discord = community.guilds["salaries"], community.discord
    async with community.bots():
        await wait_for_post(community, "salaries", "Café des salariés")
        command = next(c for c in guild.commands if c["name"] == "inscription")
        context = discord.context(guild, member)
        typed = await discord.send(
            payloads.autocomplete(command, {"evenement": ""}, "evenement", **context)
        )
        await discord.wait_until(lambda: typed.callback, WAIT)
        asked = await discord.send(
            payloads.slash_command(command, {"evenement": str(elus.id)}, **context)
        )
        await discord.wait_until(lambda: asked.callback, WAIT)
        listed = await discord.send(
            payloads.slash_command(
                next(c for c in guild.commands if c["name"] == "agenda"), **context
            )
        )
        await discord.wait_until(lambda: listed.followups, WAIT)
    choices = [c["name"] for c in typed.callback["data"]["choices"]]
    assert choices == ["Café des salariés"]
    assert asked.callback["data"]["content"] == "Cet événement n'est pas proposé sur ce serveur."
    assert "élus" not in listed.followups[0]["content"]
    assert "Café des salariés" in listed.followups[0]["content"]
    assert await community.services.events.registrations(elus.id) == []


async def test_buttons_posted_before_a_restart_still_register(community: Community) -> None:
    shown = await event(community)
    member = await identified(community, "camille")
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
    async with community.bots():
        said = answer(await press(community, member, post, button_ids(post)[0]))
    assert "vous êtes inscrit(e)" in said["content"]
    assert len(agenda_posts(community, "salaries")) == 1
    channel = community.channel("salaries", "agenda")["id"]
    assert len([r for r in community.discord.requests_to(POST_ROUTE) if channel in r.path]) == 1


async def test_an_event_published_by_another_process_is_posted_within_ten_seconds(
    community: Community,
) -> None:
    draft = await event(community, "Publié depuis la ligne de commande", publish=False)
    async with community.bots():
        await asyncio.sleep(0.5)
        assert agenda_posts(community, "salaries") == []
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hub",
            "--config",
            str(community.config.path),
            "events",
            "publish",
            str(draft.id),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        published = asyncio.get_running_loop().time()
        await wait_for_post(community, "salaries", "Publié depuis la ligne de commande")
        assert asyncio.get_running_loop().time() - published < 10


async def test_a_post_discord_refuses_with_a_5xx_is_posted_once_later(
    community: Community,
) -> None:
    async with community.bots():
        await asyncio.sleep(0.3)  # the welcome message in #accueil is posted
        community.discord.fail_next(POST_ROUTE, 503)
        shown = await event(community, audience="salaries")
        await wait_for_post(community, "salaries", shown.title)
        await asyncio.sleep(0.6)
    assert len(agenda_posts(community, "salaries")) == 1
    channel = community.channel("salaries", "agenda")["id"]
    statuses = [r.status for r in community.discord.requests_to(POST_ROUTE) if channel in r.path]
    assert statuses[0] == 503 and statuses.count(200) == 1


async def test_a_member_whose_dms_are_closed_gets_e_mail_only_and_no_retry(
    community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bots.agenda")
    shown = await event(community, reminders=[60])
    member = await identified(community, "camille", dms_open=False)
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
        answer(await press(community, member, post, button_ids(post)[0]))
        assert await queue_reminder_now(community.services.db, shown.id) == 1
        await community.discord.wait_until(
            lambda: any("DMs are closed" in r.getMessage() for r in caplog.records), WAIT
        )
        await asyncio.sleep(0.6)  # more polls: never tried again
    refused = [r for r in community.discord.requests_to(POST_ROUTE) if r.status == 403]
    assert len(refused) == 1
    assert sum("DMs are closed" in r.getMessage() for r in caplog.records) == 1
    with sqlite3.connect(community.config.database_path) as conn:
        mails = [k for (k,) in conn.execute("SELECT kind FROM event_messages ORDER BY id")]
        dms = list(conn.execute("SELECT kind, status FROM discord_dms"))
    assert mails == ["confirmed", "reminder"]  # the e-mails go out as always
    assert dms == [("reminder", "closed")]


async def test_seat_counts_are_edited_once_per_refresh_whatever_the_clicks(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agenda_domain, "SEATS_REFRESH", timedelta(seconds=3))
    shown = await event(community, capacity=10)
    members = [await identified(community, f"membre{i}") for i in range(6)]
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
        for member in members:  # clicks spread over 2 s: ten polls see the seats change
            await press(community, member, post, button_ids(post)[0])
            await asyncio.sleep(0.35)
        await asyncio.sleep(2)
        edits = [
            r
            for r in community.discord.requests_to(
                "PATCH /channels/{channel_id}/messages/{message_id}"
            )
            if r.path.endswith(post["id"])
        ]
    assert len(edits) == 1
    fields = {
        f["name"]: f["value"]
        for f in post_of(community, "salaries", shown.title)["embeds"][0]["fields"]
    }
    assert fields["Places"] == "4 places restantes"


async def test_a_changed_event_is_edited_and_a_cancelled_one_marked_with_buttons_disabled(
    community: Community,
) -> None:
    shown = await event(community, "Réunion flash : le SAS", audience="salaries")
    async with community.bots():
        post = await wait_for_post(community, "salaries", "le SAS")
        await community.services.events.edit(shown.id, EventChanges(title="Réunion flash : SAS"))
        await community.discord.wait_until(
            lambda: (
                post_of(community, "salaries", "Réunion")["embeds"][0]["title"]
                == "Réunion flash : SAS"
            ),
            WAIT,
        )
        await community.services.events.cancel(shown.id)
        await community.discord.wait_until(
            lambda: "Annulé" in post_of(community, "salaries", "Réunion")["embeds"][0]["title"],
            WAIT,
        )
        await community.discord.wait_until(
            lambda: all(
                s.get("status") == 4 for s in community.guilds["salaries"].scheduled_events.values()
            ),
            WAIT,
        )
    (marked,) = agenda_posts(community, "salaries")
    assert marked["id"] == post["id"]
    assert marked["embeds"][0]["title"] == "« Annulé » — Réunion flash : SAS"
    buttons = [c for c in marked["components"][0]["components"] if "custom_id" in c]
    assert buttons and all(c["disabled"] for c in buttons)
    (scheduled,) = community.guilds["salaries"].scheduled_events.values()
    assert scheduled["name"] == "Réunion flash : SAS"


async def test_reminders_arrive_by_dm_once_and_stop_when_asked_never_when_cancelled(
    community: Community,
) -> None:
    shown = await event(community, audience="salaries")
    member = await identified(community, "camille")
    gone = await identified(community, "dominique")
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
        register, unregister = button_ids(post)
        answer(await press(community, member, post, register))
        answer(await press(community, gone, post, register))
        answer(await press(community, gone, post, unregister))
        assert await queue_reminder_now(community.services.db, shown.id) == 1
        await community.discord.wait_until(lambda: dms_to(community, member), WAIT)
    async with community.bots():  # a restart sends nothing again
        await asyncio.sleep(0.6)
        (reminder,) = dms_to(community, member)
        assert reminder["content"].startswith("Rappel : « ")
        assert button_ids(reminder) == ["hub:rappels-off"]
        stop = await click_in_dm(community, "salaries", member, reminder, "hub:rappels-off")
        assert "plus de rappels par message privé" in stop.followups[0]["content"]
        assert await queue_reminder_now(community.services.db, shown.id) == 1
        await asyncio.sleep(0.6)
    assert len(dms_to(community, member)) == 1  # the second reminder went by e-mail only
    assert dms_to(community, gone) == []


async def test_my_registrations_lists_this_server_s_events_with_a_button_to_leave(
    community: Community,
) -> None:
    shown = await event(community, "Café des salariés", audience="salaries")
    member = await identified(community, "camille")
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
        answer(await press(community, member, post, button_ids(post)[0]))
        listed = answer(
            await slash(community.discord, community.guilds["salaries"], member, "mes-inscriptions")
        )
        assert "**Café des salariés**" in listed["content"] and "confirmé" in listed["content"]
        assert button_ids(listed) == [f"hub:desinscrire:{shown.id}"]
        left = answer(await press(community, member, listed, f"hub:desinscrire:{shown.id}"))
    assert "est annulée" in left["content"]
    (row,) = await community.services.events.registrations(shown.id)
    assert row.status == "cancelled"


async def test_questions_a_modal_cannot_ask_get_the_person_s_own_web_link(
    community: Community,
) -> None:
    asked = [Question(key="jour", label="Quel jour ?", kind="choice", choices=["lundi", "mardi"])]
    shown = await event(community, "Journées nationales", audience="salaries", questions=asked)
    member = await identified(community, "camille")
    async with community.bots():
        post = await wait_for_post(community, "salaries", shown.title)
        assert button_ids(post)[0] == f"hub:inscrire:{shown.id}"  # no modal: deferred
        said = answer(await press(community, member, post, button_ids(post)[0]))
    assert f"/evenements/{shown.slug}?cle=" in said["content"]
    assert await community.services.events.registrations(shown.id) == []
