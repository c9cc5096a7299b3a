"""Newsletter issues announced in #annonces (issue 12 §1): queued with the campaign's end, posted
once per server across restarts and a crash between the post and its record, where configured,
members-only editions with their key link, and never pinging anyone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.community import announce
from hub.config import Config, load_config
from hub.errors import UserError
from hub.subscribers.service import Consent, Person
from loopback.discord.community import hub_services
from newsletters.draft import write_draft
from newsletters.pipeline import publish_draft
from tests.bots.conftest import Community
from tests.bots.test_identification import posts
from tests.newsletters.factories import full_issue

POST = "POST /channels/{channel_id}/messages"
CONSENT = Consent(source="cli", text="test", version="test")


async def publish(community: Community, tmp_path: Path, edition: str, number: int) -> Path:
    draft = tmp_path / f"{edition}-{number}.md"
    issue = full_issue(community.config, edition, number=number)
    draft.write_text(write_draft(issue), encoding="utf-8")
    await publish_draft(community.services.db, community.config, draft, replace=True)
    return draft


async def rows(community: Community) -> list[dict[str, object]]:
    found = await community.services.db.conn.execute_fetchall(
        "SELECT server, edition, issue_number, claimed_at, message_id FROM discord_issue_posts"
        " ORDER BY server"
    )
    return [dict(row) for row in found]


async def test_a_sent_campaign_is_announced_once_per_server_across_a_restart(
    community: Community, tmp_path: Path
) -> None:
    services = community.services
    await services.subscribers.subscribe_many(
        [Person("lectrice@example.org")], ["bimestrielle"], CONSENT, confirmed=True
    )
    draft = tmp_path / "bimestrielle-7.md"
    draft.write_text(write_draft(full_issue(community.config, "bimestrielle", 7)), "utf-8")
    campaign = await services.campaigns.create(draft)
    assert await rows(community) == [], "nothing is announced before the campaign ends"
    await services.campaigns.sender().start(campaign.id)
    assert [(r["server"], r["edition"], r["issue_number"]) for r in await rows(community)] == [
        ("elus", "bimestrielle", 7),
        ("salaries", "bimestrielle", 7),
    ]

    for _ in range(2):  # a restart posts nothing again
        async with community.bots():
            await community.discord.wait_until(
                lambda: all(posts(community, k, "annonces") for k in ("salaries", "elus"))
            )
    for key in ("salaries", "elus"):
        (message,) = posts(community, key, "annonces")
        (embed,) = message["embeds"]
        assert embed["title"] == campaign.subject
        assert embed["url"] == f"{community.config.web.base_url}/archives/bimestrielle/7"
        assert campaign.preheader in embed["description"]
        assert "• " in embed["description"]
        assert embed["footer"]["text"] == "La lettre de la FCPTS · n° 7"
    assert all(r["message_id"] for r in await rows(community))
    sent = community.discord.requests_to(POST)
    announced = [r for r in sent if r.body and r.body.get("embeds")]
    assert len(announced) == 2
    for request in announced:  # on the wire: nobody may be pinged by an announcement
        assert json.loads(request.raw)["allowed_mentions"] == {"parse": []}


async def test_a_members_only_edition_carries_its_key_and_goes_only_where_configured(
    community: Community, config_path: Path, tmp_path: Path
) -> None:
    text = config_path.read_text(encoding="utf-8")
    text = text.replace('editions = ["*"]\nfeed', 'editions = ["bimestrielle", "flash"]\nfeed')
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path, env={})
    community.config = config
    community.services = hub_services(
        config,
        community.services.db,
        {"DISCORD_TOKEN_SALARIES": "token-salaries", "DISCORD_TOKEN_ELUS": "token-elus"},
    )
    await publish(community, tmp_path, "condense", 3)
    assert await announce.queue_issue(community.services.db, config, "condense", 3) == ["salaries"]
    async with community.bots():
        await community.discord.wait_until(lambda: posts(community, "salaries", "annonces"))
    (message,) = posts(community, "salaries", "annonces")
    issue = await community.services.db.fetch_one("get_issue", {"edition": "condense", "number": 3})
    assert issue is not None and issue["access_key"]
    assert message["embeds"][0]["url"].endswith(f"/archives/condense/3?cle={issue['access_key']}")
    assert posts(community, "elus", "annonces") == []


async def test_a_post_a_crash_left_unrecorded_is_not_posted_again_and_none_is_lost(
    community: Community, tmp_path: Path
) -> None:
    db, config = community.services.db, community.config
    await publish(community, tmp_path, "bimestrielle", 8)
    await announce.queue_issue(db, config, "bimestrielle", 8)
    async with community.bots():
        await community.discord.wait_until(
            lambda: all(posts(community, k, "annonces") for k in ("salaries", "elus"))
        )
    # The salariés' bot died after its post and before its record; the élus' bot died after
    # its claim and before its post.
    await db.conn.execute(
        "UPDATE discord_issue_posts SET message_id = NULL, posted_at = NULL "
        "WHERE server = 'salaries'"
    )
    elus_post = posts(community, "elus", "annonces")[0]
    community.discord.state.messages.pop(elus_post["id"])
    community.discord.state.channel_messages(elus_post["channel_id"]).clear()
    await db.conn.execute(
        "UPDATE discord_issue_posts SET message_id = NULL, posted_at = NULL WHERE server = 'elus'"
    )
    await db.conn.commit()
    assert all(r["claimed_at"] and not r["message_id"] for r in await rows(community))
    async with community.bots():
        await community.discord.wait_until(lambda: posts(community, "elus", "annonces"))
        await community.discord.wait_until(
            lambda: len(community.discord.requests_to("GET /channels/{channel_id}/messages")) >= 2
        )
    assert len(posts(community, "salaries", "annonces")) == 1
    assert len(posts(community, "elus", "annonces")) == 1
    assert all(r["message_id"] for r in await rows(community))


async def test_announcing_an_unpublished_issue_is_a_french_error(community: Community) -> None:
    with pytest.raises(UserError, match="n'est pas publié : rien à annoncer"):
        await announce.queue_issue(community.services.db, community.config, "flash", 99)
    assert await rows(community) == []


def test_an_unknown_edition_in_a_server_is_refused_naming_the_key(config_path: Path) -> None:
    text = config_path.read_text(encoding="utf-8").replace(
        'editions = ["*"]\nfeed', 'editions = ["bimestriele"]\nfeed'
    )
    config_path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=r"\[discord.elus\].editions : édition inconnue"):
        load_config(config_path, env={})


def test_every_edition_goes_to_both_servers_by_default(config: Config) -> None:
    assert all(server.receives("flash") for server in config.discord.values())
