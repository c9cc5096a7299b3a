"""The archive of rendered issues: what the web pages show and what numbering continues from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from aiosqlite import Row

from hub.db import Database
from hub.records import from_row
from hub.timeutil import optional_utc_text, to_utc_text, utcnow
from newsletters.model import Issue, IssueMeta


@dataclass(frozen=True)
class ArchivedIssue:
    edition: str
    number: int
    subject: str
    preheader: str
    issue_date: date
    period_end: datetime
    rendered_at: datetime
    html: str = ""
    text: str = ""
    meta: IssueMeta | None = None
    access_key: str | None = None


def _from_row(row: Row, full: bool = False) -> ArchivedIssue:
    """An archived issue; its documents, meta and key only when `full` (the lists' queries
    leave those columns out)."""
    return from_row(
        ArchivedIssue,
        row,
        issue_date=date.fromisoformat(row["issue_date"]),
        html=row["html"] if full else "",
        text=row["text"] if full else "",
        meta=json.loads(row["meta"]) if full else None,
        access_key=row["access_key"] if full else None,
    )


async def save_issue(
    db: Database,
    issue: Issue,
    html: str,
    text: str,
    meta: IssueMeta,
    access_key: str | None = None,
) -> None:
    """Record a rendered issue; rendering the same edition and number again replaces it."""
    async with db.transaction():
        await db.execute(
            "save_issue",
            {
                "edition": issue.edition,
                "number": issue.number,
                "subject": issue.subject,
                "preheader": issue.preheader,
                "issue_date": issue.issue_date.isoformat(),
                "period_start": optional_utc_text(issue.period_start),
                "period_end": to_utc_text(issue.period_end),
                "html": html,
                "text": text,
                "meta": json.dumps(meta, ensure_ascii=False),
                "access_key": access_key,
                "rendered_at": utcnow(),
            },
        )


async def last_issue(db: Database, edition: str) -> ArchivedIssue | None:
    row = await db.fetch_one("last_issue", {"edition": edition})
    return _from_row(row) if row else None


async def list_issues(db: Database, edition: str) -> list[ArchivedIssue]:
    """The issues of one edition, newest first."""
    return [_from_row(r) for r in await db.fetch_all("list_edition_issues", {"edition": edition})]


async def get_issue(db: Database, edition: str, number: int) -> ArchivedIssue | None:
    row = await db.fetch_one("get_issue", {"edition": edition, "number": number})
    return _from_row(row, full=True) if row else None
