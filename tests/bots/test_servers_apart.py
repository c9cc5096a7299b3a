"""The élus' events never appear in the salariés' server and the reverse: in the posts, the
autocomplete, `/inscription`, `/agenda` or `/mes-inscriptions` — for a member of both
servers, identified in both."""

from __future__ import annotations

import pytest

from bots.cogs import agenda as agenda_cog
from hub.subscribers.service import Person
from loopback.discord import payloads
from tests.bots.agenda_helpers import WAIT, agenda_posts, event, wait_for_post
from tests.bots.conftest import Community

ONLY = {"salaries": "salaries", "elus": "elus"}  # an audience only this server has


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agenda_cog, "POLL_SECONDS", 0.2)


@pytest.mark.parametrize(("here", "there"), [("salaries", "elus"), ("elus", "salaries")])
async def test_another_server_s_events_never_appear_here(
    community: Community, here: str, there: str
) -> None:
    mine = await event(community, f"Rencontre {here}", audience=ONLY[here])
    theirs = await event(community, f"Rencontre {there}", audience=ONLY[there])
    role = "salarie" if here == "salaries" else "elu"
    person = await community.services.subscribers.save_person(
        Person(email="c@cpts.fr", role=role, member=True)
    )
    discord, guild = community.discord, community.guilds[here]
    member = discord.add_member(guild, "camille")
    user_id = int(member["user"]["id"])
    identification = community.services.identification
    for server in (here, there):
        await identification.link_by_hand(user_id, "c@cpts.fr", server=server, staff="test")
    # Registered to an event of the other server (from the web, say): not listed here.
    other = await event(community, f"Atelier {there}", audience=ONLY[there])
    people = community.services.subscribers
    await people.save_person(Person(email="c@cpts.fr", role="salarie" if role == "elu" else "elu"))
    await community.services.events.register(other.id, Person(email=person.email), source="web")
    await people.save_person(Person(email="c@cpts.fr", role=role))
    (registration,) = await community.services.events.registrations(other.id)
    assert registration.status == "confirmed"
    context = discord.context(guild, member)

    def command(name: str) -> dict:
        return next(c for c in guild.commands if c["name"] == name)

    async with community.bots():
        await wait_for_post(community, here, mine.title)
        typed = await discord.send(
            payloads.autocomplete(command("inscription"), {"evenement": ""}, "evenement", **context)
        )
        await discord.wait_until(lambda: typed.callback, WAIT)
        asked = await discord.send(
            payloads.slash_command(command("inscription"), {"evenement": str(theirs.id)}, **context)
        )
        await discord.wait_until(lambda: asked.callback, WAIT)
        listed = await discord.send(payloads.slash_command(command("agenda"), **context))
        await discord.wait_until(lambda: listed.followups, WAIT)
        registrations = await discord.send(
            payloads.slash_command(command("mes-inscriptions"), **context)
        )
        await discord.wait_until(lambda: registrations.followups, WAIT)
    assert [c["name"] for c in typed.callback["data"]["choices"]] == [mine.title]
    assert asked.callback["data"]["content"] == "Cet événement n'est pas proposé sur ce serveur."
    assert mine.title in listed.followups[0]["content"]
    assert there not in listed.followups[0]["content"]
    assert there not in registrations.followups[0]["content"]
    assert await community.services.events.registrations(theirs.id) == []
    titles = [m["embeds"][0]["title"] for m in agenda_posts(community, here)]
    assert titles == [mine.title]
