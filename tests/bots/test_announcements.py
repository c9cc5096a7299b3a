"""`/annonce` (issue 12 §3): hidden from members and refused to non-staff by the bot; staff
get a modal, a preview with « Publier » / « Annuler », and the post in #annonces of the chosen
servers, pinging nobody unless « notifier » was chosen (then only the members' role)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bots.cogs import news
from loopback.discord import payloads
from loopback.discord.state import Interaction
from tests.bots.conftest import Community
from tests.bots.members import button_ids, click
from tests.bots.test_identification import posts

WAIT = 10.0
POST = "POST /channels/{channel_id}/messages"
MANAGE_MESSAGES = 1 << 13


@pytest.fixture(autouse=True)
def fast_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news, "POLL_SECONDS", 0.05)


async def annonce(
    community: Community, member: dict[str, Any], options: dict[str, Any] | None = None
) -> Interaction:
    discord, guild = community.discord, community.guilds["salaries"]
    command = next(c for c in guild.commands if c["name"] == "annonce")
    context = discord.context(guild, member)
    sent = await discord.send(payloads.slash_command(command, options, **context))
    await discord.wait_until(lambda: sent.callback, WAIT)
    return sent


def staff_member(community: Community, name: str) -> dict[str, Any]:
    member = community.discord.add_member(community.guilds["salaries"], name)
    member["roles"].append(community.role_id("salaries", "staff"))
    return member


async def test_annonce_is_hidden_from_members_and_refused_to_non_staff(
    community: Community,
) -> None:
    async with community.bots():
        member = community.discord.add_member(community.guilds["salaries"], "dominique")
        refused = await annonce(community, member)
    command = next(c for c in community.guilds["salaries"].commands if c["name"] == "annonce")
    assert int(command["default_member_permissions"]) == MANAGE_MESSAGES
    assert refused.callback is not None and refused.callback["type"] == 4, "no modal"
    data = refused.callback["data"]
    assert data["content"] == "Cette commande est réservée à l'équipe de la fédération."
    assert data["flags"] == 64
    assert posts(community, "salaries", "annonces") == []


async def test_staff_preview_then_publish_in_both_servers_pinging_nobody(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    async with community.bots():
        camille = staff_member(community, "camille")
        opened = await annonce(community, camille, {"serveurs": "tous"})
        preview = await submit_modal(
            community,
            camille,
            opened,
            {"titre": "Assemblée générale @everyone", "texte": "Rendez-vous le 12 juin."},
        )
        message = preview.original
        assert message is not None and message["flags"] & 64
        assert button_ids(message) == ["hub:annonce:publier", "hub:annonce:annuler"]
        assert message["embeds"][0]["title"] == "Assemblée générale @everyone"
        assert posts(community, "salaries", "annonces") == [], "nothing before « Publier »"
        await click(discord, guild, camille, message, "hub:annonce:publier")
        await discord.wait_until(
            lambda: all(posts(community, k, "annonces") for k in ("salaries", "elus")), WAIT
        )
        await discord.wait_until(lambda: "publiée" in message["content"], WAIT)
    assert message["content"] == (
        "Annonce publiée dans #annonces de « Collectif des salariés », « Collectif des élus »."
    )
    assert message["components"] == []
    for key in ("salaries", "elus"):
        (post,) = posts(community, key, "annonces")
        assert post["embeds"][0]["description"] == "Rendez-vous le 12 juin."
    sent = [r for r in discord.requests_to(POST) if b"Assembl" in r.raw]
    assert len(sent) == 2
    assert all(json.loads(r.raw)["allowed_mentions"] == {"parse": []} for r in sent)


async def test_notifier_mentions_the_members_role_only_and_annuler_publishes_nothing(
    community: Community,
) -> None:
    discord, guild = community.discord, community.guilds["salaries"]
    role = community.role_id("salaries", "adhérent")
    async with community.bots():
        camille = staff_member(community, "camille")
        cancelled = await submit_modal(
            community, camille, await annonce(community, camille), {"titre": "A", "texte": "B"}
        )
        assert cancelled.original is not None
        await click(discord, guild, camille, cancelled.original, "hub:annonce:annuler")
        opened = await annonce(community, camille, {"notifier": True})
        preview = await submit_modal(
            community, camille, opened, {"titre": "Webinaire", "texte": "Ce soir."}
        )
        assert preview.original is not None
        await click(discord, guild, camille, preview.original, "hub:annonce:publier")
        await discord.wait_until(lambda: "publiée" in preview.original["content"], WAIT)
        await discord.wait_until(lambda: posts(community, "salaries", "annonces"), WAIT)
    assert cancelled.original["content"] == "Annonce annulée : rien n'a été publié."
    (post,) = posts(community, "salaries", "annonces")
    assert post["content"] == f"<@&{role}>"
    (request,) = [r for r in discord.requests_to(POST) if b"Webinaire" in r.raw]
    assert json.loads(request.raw)["allowed_mentions"] == {"parse": [], "roles": [int(role)]}
    assert posts(community, "elus", "annonces") == []


async def submit_modal(
    community: Community, member: dict[str, Any], opened: Interaction, values: dict[str, str]
) -> Interaction:
    """Submit the modal `opened` showed; returns once the bot answered (the preview)."""
    discord, guild = community.discord, community.guilds["salaries"]
    assert opened.callback is not None and opened.callback["type"] == 9, opened.callback
    typed: dict[str, str | list[str]] = dict(values)
    context = discord.context(guild, member)
    sent = await discord.send(payloads.modal_answer(opened.callback["data"], typed, **context))
    await discord.wait_until(lambda: sent.callback, WAIT)
    return sent
