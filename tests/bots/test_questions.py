"""Questions to the staff (issue 12 §4): `/question` opens a private thread in #questions with
the member and each member of the staff role (added: Discord adds nobody for a bot's role
mention), the role and the member mentioned (the only pings), a notice in #staff with the
thread's link; staff take it and resolve it (archived, locked, the member thanked); members
cannot use the staff's buttons; 3 questions per hour; unanswered for 48 hours, a question is
recalled once in #staff (time-machine); the hub keeps no text."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bots.cogs import questions as questions_cog
from hub.community.questions import CATEGORIES
from loopback.discord import payloads
from loopback.discord.state import Interaction
from tests.bots.conftest import Community
from tests.bots.members import button_ids, click
from tests.bots.test_identification import posts

WAIT = 10.0
POST = "POST /channels/{channel_id}/messages"


@pytest.fixture(autouse=True)
def fast_recalls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(questions_cog, "RECALL_POLL_SECONDS", 0.05)


async def open_question(community: Community, member: dict[str, Any]) -> Interaction:
    """`/question` → the modal (a category select, sujet, question), shown."""
    discord, guild = community.discord, community.guilds["salaries"]
    command = next(c for c in guild.commands if c["name"] == "question")
    opened = await discord.send(payloads.slash_command(command, **discord.context(guild, member)))
    await discord.wait_until(lambda: opened.callback, WAIT)
    assert opened.callback is not None and opened.callback["type"] == 9, opened.callback
    labels = {row["component"]["custom_id"]: row for row in opened.callback["data"]["components"]}
    assert [o["value"] for o in labels["categorie"]["component"]["options"]] == list(CATEGORIES)
    return opened


async def submit_question(
    community: Community,
    member: dict[str, Any],
    opened: Interaction,
    category: str = "juridique",
    subject: str = "Statuts de l'association",
    text: str = "Peut-on modifier nos statuts en cours d'année ?",
) -> Interaction:
    """The member chooses `category` and types the rest in the modal `opened` showed, then
    submits it; returns the submission, answered."""
    discord, guild = community.discord, community.guilds["salaries"]
    assert opened.callback is not None
    values: dict[str, str | list[str]] = {
        "categorie": [category],
        "sujet": subject,
        "question": text,
    }
    sent = await discord.send(
        payloads.modal_answer(opened.callback["data"], values, **discord.context(guild, member))
    )
    await discord.wait_until(lambda: sent.followups, WAIT)
    return sent


async def ask(
    community: Community,
    member: dict[str, Any],
    category: str = "juridique",
    subject: str = "Statuts de l'association",
    text: str = "Peut-on modifier nos statuts en cours d'année ?",
) -> Interaction:
    """`/question` → the modal → submitted; returns the submission, answered."""
    opened = await open_question(community, member)
    return await submit_question(community, member, opened, category, subject, text)


def threads(community: Community) -> list[dict[str, Any]]:
    guild = community.guilds["salaries"]
    return [c for c in guild.channels.values() if c["type"] == 12]


def staff_member(community: Community, name: str) -> dict[str, Any]:
    member = community.discord.add_member(community.guilds["salaries"], name)
    member["roles"].append(community.role_id("salaries", "staff"))
    return member


async def rows(community: Community) -> list[dict[str, Any]]:
    found = await community.services.db.conn.execute_fetchall("SELECT * FROM discord_questions")
    return [dict(row) for row in found]


async def test_a_question_opens_a_private_thread_taken_then_resolved_by_staff(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    staff_role = community.role_id("salaries", "staff")
    async with community.bots():
        dominique = discord.add_member(guild, "dominique")
        camille = staff_member(community, "camille")
        bob = staff_member(community, "bob")
        discord.add_member(guild, "claude")  # a member, not staff: not in the thread
        sent = await ask(community, dominique, text="@everyone c'est urgent ?")
        (answer,) = sent.followups
        assert answer["flags"] & 64
        (thread,) = threads(community)
        assert thread["parent_id"] == community.channel("salaries", "questions")["id"]
        assert answer["content"].startswith(f"Votre question est posée dans <#{thread['id']}>")
        assert thread["name"] == "Juridique · Statuts de l'association"
        # Discord adds no role's members to a private thread for a bot's role mention: the
        # bot adds each staff member itself (and the bot, a member, is not staff).
        (asker, *staff) = discord.state.thread_members[thread["id"]]
        assert asker == dominique["user"]["id"]
        assert sorted(staff) == sorted([camille["user"]["id"], bob["user"]["id"]])
        (first,) = discord.messages_in(thread["id"])
        assert first["content"] == (
            f"<@&{staff_role}> · question de <@{dominique['user']['id']}> (Juridique)"
        )
        assert first["embeds"][0]["description"] == "@everyone c'est urgent ?"
        (request,) = [r for r in discord.requests_to(POST) if b"urgent" in r.raw]
        assert json.loads(request.raw)["allowed_mentions"] == {
            "parse": [],
            "users": [int(dominique["user"]["id"])],
            "roles": [int(staff_role)],
        }
        (notice,) = posts(community, "salaries", "staff")
        assert notice["content"] == (
            f"Nouvelle question (Juridique) de <@{dominique['user']['id']}> : "
            f"https://discord.com/channels/{guild.id}/{thread['id']}"
        )
        (question,) = await rows(community)
        assert question["status"] == "open" and question["category"] == "juridique"
        assert "subject" not in question and "urgent" not in json.dumps(question)

        assert button_ids(first) == [
            f"hub:question:prise:{question['id']}",
            f"hub:question:resolue:{question['id']}",
        ]
        refused = await click(discord, guild, dominique, first, button_ids(first)[0])
        assert refused.callback is not None and refused.callback["type"] == 4
        assert refused.callback["data"]["flags"] == 64
        took = await click(discord, guild, camille, first, button_ids(first)[0])
        await discord.wait_until(lambda: took.followups, WAIT)
        assert took.followups[0]["content"] == (
            f"Question prise en charge par <@{camille['user']['id']}>."
        )
        (taken,) = await rows(community)
        assert taken["status"] == "taken" and taken["taken_by"] == int(camille["user"]["id"])

        done = await click(discord, guild, camille, first, button_ids(first)[1])
        await discord.wait_until(lambda: thread["thread_metadata"]["locked"], WAIT)
    assert thread["thread_metadata"]["archived"] is True
    assert done.followups[0]["content"].startswith(f"Merci <@{dominique['user']['id']}>")
    (resolved,) = await rows(community)
    assert resolved["status"] == "resolved" and resolved["resolved_at"]


async def test_a_member_asks_at_most_three_questions_an_hour(
    community: Community, time_machine: time_machine.TimeMachineFixture
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    now = datetime.now(UTC)
    time_machine.move_to(now.replace(minute=10) + timedelta(hours=1), tick=True)  # mid-hour
    async with community.bots():
        dominique = discord.add_member(guild, "dominique")
        for _ in range(3):
            await ask(community, dominique, "adhesion")
        fourth = await ask(community, dominique, "adhesion")
    assert fourth.followups[0]["content"].startswith(
        "Question non envoyée : vous avez déjà posé 3 questions cette heure-ci"
    )
    assert len(threads(community)) == 3
    assert len(await rows(community)) == 3


async def test_an_unanswered_question_is_recalled_once_after_48_hours(
    community: Community, time_machine: time_machine.TimeMachineFixture
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    start = datetime.now(UTC)
    time_machine.move_to(start, tick=True)
    async with community.bots() as bots:
        bot = next(b for b in bots if b.server.key == "salaries")
        dominique = discord.add_member(guild, "dominique")
        await ask(community, dominique, "outils")
        await ask(community, dominique, "autre")
        camille = staff_member(community, "camille")
        first = discord.messages_in(threads(community)[1]["id"])[0]
        took = await click(discord, guild, camille, first, button_ids(first)[0])
        await discord.wait_until(lambda: took.followups, WAIT)
        time_machine.move_to(start + timedelta(hours=47), tick=True)
        assert await questions_cog.recall_unanswered(bot) == 0, "no recall before 48 hours"
        time_machine.move_to(start + timedelta(hours=48, minutes=1), tick=True)
        await discord.wait_until(lambda: len(posts(community, "salaries", "staff")) == 3, WAIT)
        time_machine.move_to(start + timedelta(hours=96), tick=True)
        assert await questions_cog.recall_unanswered(bot) == 0, "recalled once"
        await asyncio.sleep(questions_cog.RECALL_POLL_SECONDS * 6)
    recalls = posts(community, "salaries", "staff")[2:]
    assert len(recalls) == 1
    thread = threads(community)[0]
    assert recalls[0]["content"] == (
        "Rappel : une question (Outils et numérique) attend une réponse depuis plus de 48 heures "
        f": https://discord.com/channels/{guild.id}/{thread['id']}"
    )


async def test_a_missing_questions_channel_records_nothing_and_says_so(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    del guild.channels[community.channel("salaries", "questions")["id"]]
    async with community.bots():
        dominique = discord.add_member(guild, "dominique")
        sent = await ask(community, dominique)
    assert sent.followups[0]["content"] == (
        "Question non envoyée : le salon des questions est introuvable ; prévenez l'équipe."
    )
    assert await rows(community) == [], "no question left open without its thread"


async def test_a_thread_discord_refuses_leaves_no_question_open(community: Community) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    async with community.bots():
        dominique = discord.add_member(guild, "dominique")
        discord.fail_next(
            "POST /channels/{channel_id}/threads",
            403,
            {"message": "Missing Permissions", "code": 50013},
        )
        sent = await ask(community, dominique)
    assert sent.followups[0]["content"].startswith("Désolé, une erreur est survenue")
    assert await rows(community) == [], "no question left open without its thread"
