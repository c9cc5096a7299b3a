"""The newsletter workflow as staff run it: compose a draft file, then render and archive it.

Shared by `hub newsletter …` and `hub demo`, so both take exactly the same path.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.files import private_dir
from hub.timeutil import french_date
from newsletters import archive
from newsletters.compose import compose_issue
from newsletters.draft import load_draft, write_draft
from newsletters.model import Issue
from newsletters.render import RenderedIssue, render_issue, write_rendered


class DraftExists(UserError):
    """The draft's file is there already, perhaps edited by hand: it is never overwritten
    unless asked (`force`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} existe déjà (peut-être modifié à la main)")


class IssueAlreadyArchived(UserError):
    """The issue's number is archived already (it may have been sent): it is replaced only
    when asked (`replace`)."""

    def __init__(self, edition_name: str, number: int, rendered_on: str) -> None:
        self.edition_name = edition_name
        self.number = number
        self.rendered_on = rendered_on  # « 1er décembre 2026 »
        super().__init__(
            f"le n°{number} de « {edition_name} » est déjà archivé (rendu le {rendered_on})"
        )


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """A file or folder that cannot be written is the user's to fix, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"impossible d'écrire {path} : {exc.strerror or exc}") from None


def draft_path(config: Config, issue: Issue) -> Path:
    return config.data_dir / "drafts" / f"{issue.edition}-{issue.number}.md"


def issue_dir(config: Config, issue: Issue) -> Path:
    return config.issues_dir / issue.edition / str(issue.number)


async def draft_next_issue(
    db: Database,
    config: Config,
    edition: str,
    *,
    since: datetime | None = None,
    out: Path | None = None,
    force: bool = False,
) -> tuple[Issue, Path]:
    """Compose the next issue of `edition` and write its draft; never overwrite staff edits."""
    now = datetime.now(config.tz).replace(microsecond=0)
    issue = await compose_issue(db, config, edition, now=now, since=since)
    path = out or draft_path(config, issue)
    if path.exists() and not force:
        raise DraftExists(path)
    with writing(path):
        private_dir(path.parent)
        path.write_text(write_draft(issue), encoding="utf-8")
    return issue, path


def render_draft(config: Config, draft: Path) -> tuple[Issue, RenderedIssue]:
    """Read and render a draft without recording anything (what a preview shows)."""
    issue = load_draft(draft, config)
    return issue, render_issue(issue, config)


@dataclass(frozen=True)
class Published:
    issue: Issue
    files: list[Path]  # issue.html, issue.txt, issue.json
    web_url: str

    def to_json(self) -> dict[str, object]:
        return {
            "edition": self.issue.edition,
            "number": self.issue.number,
            "files": [str(p) for p in self.files],
            "web_url": self.web_url,
        }


async def publish_draft(
    db: Database, config: Config, draft: Path, out: Path | None = None, *, replace: bool = False
) -> Published:
    """Render a draft once, write its three files and record the issue in the archive.

    An issue already archived is replaced only when asked (`replace`): it may have been sent.
    A members-only issue gets an unguessable access key (kept when replaced): its web version
    opens only through the link its e-mail carries, never from the public archive.
    """
    issue = load_draft(draft, config)
    edition = config.edition(issue.edition)
    existing = await archive.get_issue(db, issue.edition, issue.number)
    if existing and not replace:
        when = french_date(existing.rendered_at.astimezone(config.tz).date())
        raise IssueAlreadyArchived(edition.name, issue.number, when)
    access_key = None
    if edition.members_only:
        access_key = (existing and existing.access_key) or secrets.token_urlsafe(18)
    rendered = render_issue(issue, config, access_key=access_key)
    folder = out or issue_dir(config, issue)
    with writing(folder):
        paths = write_rendered(rendered, folder)
    await archive.save_issue(db, issue, rendered.html, rendered.text, rendered.meta, access_key)
    return Published(issue, paths, rendered.meta["web_url"])
