"""`hub discord announce-issue` as staff type it (a real subprocess): queued once per server,
then posted by the running hub's bots; French errors for what cannot be announced."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from newsletters.draft import write_draft
from newsletters.pipeline import publish_draft
from tests.bots import conftest as bots_fixtures
from tests.bots.conftest import Community
from tests.bots.members import button_ids, click
from tests.bots.test_identification import posts
from tests.cli.test_discord_cli import hub_discord
from tests.newsletters.factories import full_issue

discord_server = bots_fixtures.discord_server
community = bots_fixtures.community


async def test_announce_issue_queues_it_once_per_server_and_the_bots_post_it(
    community: Community, tmp_path: Path
) -> None:
    draft = tmp_path / "flash-4.md"
    draft.write_text(write_draft(full_issue(community.config, "flash", number=4)), "utf-8")
    await publish_draft(community.services.db, community.config, draft)
    code, out, err = await hub_discord(community, "announce-issue", "flash", "4")
    assert code == 0, err
    assert out.strip() == (
        "Numéro 4 de « flash » annoncé sur « Collectif des salariés », « Collectif des élus » "
        "(une fois par serveur ; le bot le publie dès qu'il est connecté)."
    )
    again = await hub_discord(community, "announce-issue", "flash", "4")
    assert again[0] == 0, again[2]
    async with community.bots():
        await community.discord.wait_until(
            lambda: all(posts(community, k, "annonces") for k in ("salaries", "elus"))
        )
    assert [len(posts(community, k, "annonces")) for k in ("salaries", "elus")] == [1, 1]


async def test_an_unpublished_issue_is_a_french_error_and_no_traceback(
    community: Community,
) -> None:
    code, _out, err = await hub_discord(community, "announce-issue", "flash", "99")
    assert code != 0 and "Traceback" not in err
    assert "le numéro 99 de l'édition « flash » n'est pas publié : rien à annoncer" in err


async def test_announce_from_a_file_dry_run_then_posted_once_by_the_bot(
    community: Community, tmp_path: Path
) -> None:
    text = tmp_path / "annonce.md"
    text.write_text("# Fermeture estivale\n\nLe siège ferme du 1er au 15 août.\n", "utf-8")
    code, out, err = await hub_discord(
        community, "announce", "--server", "elus", "--file", str(text), "--dry-run"
    )
    assert code == 0, err
    assert out.splitlines() == [
        "Titre : Fermeture estivale",
        "Le siège ferme du 1er au 15 août.",
        "Serait publiée dans #annonces de « Collectif des élus » (rien n'est publié : --dry-run).",
    ]
    code, out, err = await hub_discord(
        community, "announce", "--server", "elus", "--file", str(text)
    )
    assert code == 0, err
    assert "Annonce « Fermeture estivale » publiée dans #annonces de « Collectif des élus »" in out
    async with community.bots():
        await community.discord.wait_until(lambda: posts(community, "elus", "annonces"))
    (post,) = posts(community, "elus", "annonces")
    assert post["embeds"][0]["title"] == "Fermeture estivale"
    assert posts(community, "salaries", "annonces") == []


async def test_announce_errors_are_french_and_publish_nothing(
    community: Community, tmp_path: Path
) -> None:
    empty = tmp_path / "vide.md"
    empty.write_text("# Titre seul\n", "utf-8")
    code, _out, err = await hub_discord(
        community, "announce", "--server", "tous", "--file", str(empty)
    )
    assert code != 0 and "Traceback" not in err
    assert "le texte de l'annonce est vide" in err
    code, _out, err = await hub_discord(
        community, "announce", "--server", "partout", "--file", str(empty)
    )
    assert code != 0 and "serveur inconnu « partout » ; possibles : elus, salaries, tous" in err
    rows = await community.services.db.conn.execute_fetchall("SELECT * FROM discord_staff_posts")
    assert list(rows) == []


async def test_questions_are_listed_counted_shown_with_the_person_and_forgotten_with_them(
    community: Community,
) -> None:
    from hub.subscribers.service import Person
    from tests.bots.test_questions import ask, staff_member, threads

    discord, guild = community.discord, community.guilds["salaries"]
    services = community.services
    await services.subscribers.save_person(Person("dominique@cpts-exemple.fr", member=True))
    async with community.bots():
        dominique = discord.add_member(guild, "dominique")
        await ask(community, dominique, "juridique")  # before identifying
        user_id = int(dominique["user"]["id"])
        await services.identification.link_by_hand(
            user_id, "dominique@cpts-exemple.fr", server="salaries", staff="test"
        )
        await ask(community, dominique, "evenements", subject="Journées nationales")
        camille = staff_member(community, "camille")
        first = discord.messages_in(threads(community)[1]["id"])[0]
        took = await click(discord, guild, camille, first, button_ids(first)[0])
        await discord.wait_until(lambda: took.followups, 10.0)

    code, out, err = await hub_discord(community, "questions")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("n° 1 · Juridique · ouverte · il y a ")
    assert lines[0].endswith(" · personne ne l'a prise · Collectif des salariés")
    assert lines[1].startswith("n° 2 · Événements · prise en charge · il y a ")
    assert f"prise par le compte Discord {camille['user']['id']}" in lines[1]
    assert lines[2].endswith(
        ": 2 question(s) — Juridique 1, Événements 1, Adhésion 0, Outils et numérique 0, Autre 0"
    )
    code, out, err = await hub_discord(community, "questions", "--open", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [q["category"] for q in listed["questions"]] == ["juridique", "evenements"]
    assert listed["counts"]["juridique"] == 1

    shown = await hub_subscribers(community, "show", "dominique@cpts-exemple.fr", "--json")
    questions = json.loads(shown)["discord_questions"]
    assert [(q["category"], q["status"]) for q in questions] == [
        ("juridique", "open"),
        ("evenements", "taken"),
    ]
    assert set(questions[0]) == {
        "server",
        "category",
        "status",
        "created_at",
        "taken_at",
        "resolved_at",
    }
    text = await hub_subscribers(community, "show", "dominique@cpts-exemple.fr")
    assert "Questions posées à l'équipe sur Discord (2) :" in text
    await hub_subscribers(community, "forget", "dominique@cpts-exemple.fr", "--yes")
    rows = await services.db.conn.execute_fetchall("SELECT * FROM discord_questions")
    assert list(rows) == []


async def hub_subscribers(community: Community, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "--config",
        str(community.config.path),
        "subscribers",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_open_questions_are_listed_whatever_their_age_counts_stay_within_the_period(
    community: Community,
) -> None:
    """A question left open for two months is the one staff must see with `--open`; the counts
    per category are still those of the period (30 days by default, or `--since`)."""
    questions = community.services.questions
    old = await questions.ask("salaries", 111, "juridique", None)
    await questions.ask("elus", 222, "adhesion", None)
    solved = await questions.ask("elus", 333, "juridique", None)
    await questions.resolve(solved.id, 999)
    db = community.services.db
    await db.conn.execute(
        "UPDATE discord_questions SET created_at = '2020-01-06T09:00:00Z' WHERE id = ?", (old.id,)
    )
    await db.conn.commit()

    code, out, err = await hub_discord(community, "questions", "--open", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [q["category"] for q in listed["questions"]] == ["juridique", "adhesion"]
    assert listed["counts"]["juridique"] == 1 and listed["counts"]["adhesion"] == 1

    code, out, err = await hub_discord(community, "questions", "--json")
    assert code == 0, err
    assert [q["category"] for q in json.loads(out)["questions"]] == ["adhesion", "juridique"]

    code, out, err = await hub_discord(community, "questions", "--since", "2020-01-01", "--json")
    assert code == 0, err
    assert json.loads(out)["counts"]["juridique"] == 2

    code, _out, err = await hub_discord(community, "questions", "--since", "hier")
    assert code != 0 and "Traceback" not in err and "--since" in err


async def test_who_took_a_question_is_named_by_their_address_when_identified(
    community: Community,
) -> None:
    from hub.subscribers.service import Person

    services = community.services
    await services.subscribers.save_person(Person("camille@fcpts.org"))
    await services.identification.link_by_hand(
        4242, "camille@fcpts.org", server="salaries", staff="test"
    )
    first = await services.questions.ask("salaries", 111, "juridique", None)
    second = await services.questions.ask("salaries", 112, "autre", None)
    await services.questions.take(first.id, 4242)
    await services.questions.take(second.id, 5353)  # a staff member not identified
    code, out, err = await hub_discord(community, "questions")
    assert code == 0, err
    lines = out.splitlines()
    assert " · prise par camille@fcpts.org · " in lines[0]
    assert " · prise par le compte Discord 5353 · " in lines[1]
    code, out, err = await hub_discord(community, "questions", "--json")
    assert [q["taken_by_email"] for q in json.loads(out)["questions"]] == [
        "camille@fcpts.org",
        None,
    ]
