"""Draft → render → archive, as `hub newsletter render` and `hub demo` run it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from hub.config import Config
from hub.db import Database
from hub.events.service import Events, NewEvent
from newsletters import archive
from newsletters.draft import load_draft, write_draft
from newsletters.fetch import pull_configured
from newsletters.pipeline import IssueAlreadyArchived, draft_next_issue, publish_draft
from tests.newsletters.factories import full_issue


async def _publish(
    db: Database, config: Config, tmp_path: Path, edition: str, replace: bool = False
) -> dict:
    draft = tmp_path / f"{edition}.md"
    draft.write_text(write_draft(full_issue(config, edition, number=3)), encoding="utf-8")
    published = await publish_draft(db, config, draft, tmp_path / edition, replace=replace)
    paths = published.files
    assert [p.name for p in paths] == ["issue.html", "issue.txt", "issue.json"]
    stored = await archive.get_issue(db, edition, 3)
    assert stored is not None and stored.html == paths[0].read_text(encoding="utf-8")
    assert stored.meta is not None and published.web_url == stored.meta["web_url"]
    return {"meta": stored.meta, "key": stored.access_key, "html": stored.html}


async def test_members_only_issues_get_a_stable_access_key(
    db: Database, config: Config, tmp_path: Path
) -> None:
    first = await _publish(db, config, tmp_path, "condense")
    key = first["key"]
    assert key and len(key) >= 24
    assert first["meta"]["web_url"] == f"{config.web.base_url}/archives/condense/3?cle={key}"
    assert f"/archives/condense/3?cle={key}" in first["html"]

    again = await _publish(db, config, tmp_path, "condense", replace=True)
    assert again["key"] == key, "rendering again must not break links already sent"


async def test_an_archived_issue_is_replaced_only_when_asked(
    db: Database, config: Config, tmp_path: Path
) -> None:
    await _publish(db, config, tmp_path, "flash")
    with pytest.raises(IssueAlreadyArchived, match=r"déjà archivé \(rendu le .*\)$"):
        await _publish(db, config, tmp_path, "flash")
    await _publish(db, config, tmp_path, "flash", replace=True)


async def test_public_issues_have_a_plain_link(
    db: Database, config: Config, tmp_path: Path
) -> None:
    public = await _publish(db, config, tmp_path, "bimestrielle")
    assert public["key"] is None
    assert public["meta"]["web_url"] == f"{config.web.base_url}/archives/bimestrielle/3"


async def test_the_agenda_goes_from_the_events_table_through_the_draft_to_the_issue(
    db: Database, config: Config, tmp_path: Path
) -> None:
    """`hub newsletter draft` then `render`: the sample feed fills the news sections, the events
    table the agenda, which staff find in the draft and readers in the issue."""
    assert (await pull_configured(db, config)).any_read
    events = Events(db, config)
    soon = datetime.combine(datetime.now(config.tz).date() + timedelta(days=8), time(18, 30))
    soon = soon.replace(tzinfo=config.tz)
    video = "https://visio.example.org/fcpts-collectif"
    webinar = await events.create(
        NewEvent(
            title="Webinaire : la prévention en CPTS",
            kind="webinaire-partenaires",
            starts_at=soon,
            ends_at=soon + timedelta(hours=1),
            audience="public",
            video_url=video,
            publish=True,
        )
    )
    tour = await events.create(
        NewEvent(
            title="Étape Bretagne",
            kind="tour-de-france",
            starts_at=soon + timedelta(days=6),
            ends_at=soon + timedelta(days=6, hours=6),
            audience="public",
            venue="Espace Bel Air",
            address="Rennes",
            publish=True,
        )
    )
    issue, draft = await draft_next_issue(
        db,
        config,
        "bimestrielle",
        since=datetime(2025, 1, 1, tzinfo=config.tz),
        out=tmp_path / "brouillon.md",
    )
    news = [s.key for s in issue.sections if not s.agenda and s.articles]
    assert news == ["une", "plaidoyer", "vie_des_cpts", "ressources"]

    base = config.web.base_url.rstrip("/")
    text = draft.read_text(encoding="utf-8")
    assert "## Webinaire : la prévention en CPTS" in text
    assert f"lien: {base}/evenements/{webinar.slug}" in text
    assert f"début: {soon:%Y-%m-%d} 18:30" in text
    assert "lieu: En ligne\ntype: Webinaire des partenaires" in text
    assert "lieu: Espace Bel Air, Rennes\ntype: Étape du Tour de France de la FCPTS" in text
    agenda = [s for s in issue.sections if s.agenda]
    assert [s for s in load_draft(draft, config).sections if s.agenda] == agenda  # as written

    published = await publish_draft(db, config, draft, tmp_path / "numero")
    html, plain = (path.read_text(encoding="utf-8") for path in published.files[:2])
    for page in (html, plain):
        assert f"{base}/evenements/{webinar.slug}" in page
        assert f"{base}/evenements/{tour.slug}" in page
        assert "Étape du Tour de France de la FCPTS · Espace Bel Air, Rennes" in page
        assert video not in page
    assert "Quand : " in plain and ", 18h30 → 19h30" in plain
