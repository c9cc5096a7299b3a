"""`hub discord announce-issue` as staff type it (a real subprocess): queued once per server,
then posted by the running hub's bots; French errors for what cannot be announced."""

from __future__ import annotations

from pathlib import Path

from newsletters.draft import write_draft
from newsletters.pipeline import publish_draft
from tests.bots import conftest as bots_fixtures
from tests.bots.conftest import Community
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
