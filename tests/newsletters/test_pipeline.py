"""Draft → render → archive, as `hub newsletter render` and `hub demo` run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from newsletters import archive
from newsletters.draft import write_draft
from newsletters.pipeline import publish_draft
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
    with pytest.raises(UserError, match=r"déjà archivé .* --force"):
        await _publish(db, config, tmp_path, "flash")
    await _publish(db, config, tmp_path, "flash", replace=True)


async def test_public_issues_have_a_plain_link(
    db: Database, config: Config, tmp_path: Path
) -> None:
    public = await _publish(db, config, tmp_path, "bimestrielle")
    assert public["key"] is None
    assert public["meta"]["web_url"] == f"{config.web.base_url}/archives/bimestrielle/3"
