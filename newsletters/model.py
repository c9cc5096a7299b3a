"""The newsletter's vocabulary: feed items as pulled, and an issue as composed and edited."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Literal, TypedDict

# How a feed's last pull went: read, unchanged since the last one (HTTP 304), or failed.
FeedStatus = Literal["ok", "not-modified", "error"]


@dataclass
class FeedItem:
    """One item of a content feed, sanitized, before it is stored."""

    identity: str
    title: str
    link: str | None
    summary_html: str = ""
    content_html: str = ""
    image_url: str | None = None
    image_alt: str | None = None
    author: str | None = None
    categories: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    event_start: datetime | None = None
    event_end: datetime | None = None
    event_location: str | None = None

    def content_hash(self) -> str:
        """A digest of everything shown, so a changed item at the source is seen as changed."""
        data = asdict(self)
        data.pop("identity")
        encoded = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass
class Article:
    """An item as placed in an issue; staff may rewrite any of it in the draft."""

    title: str
    link: str
    summary: str = ""  # Markdown
    image_url: str | None = None
    image_alt: str = ""
    published: date | None = None
    # Agenda entries only: the event's times (aware, Europe/Paris), place and kind's name.
    event_start: datetime | None = None
    event_end: datetime | None = None
    location: str = ""
    kind: str = ""


@dataclass
class IssueSection:
    key: str
    title: str
    agenda: bool = False
    articles: list[Article] = field(default_factory=list)


@dataclass
class Issue:
    """A composed issue: what the draft file holds and what rendering needs."""

    edition: str
    number: int
    subject: str
    preheader: str
    issue_date: date
    period_end: datetime
    period_start: datetime | None = None
    editorial: str = ""  # Markdown
    sections: list[IssueSection] = field(default_factory=list)

    @property
    def articles(self) -> list[Article]:
        return [a for s in self.sections for a in s.articles]


class ItemMeta(TypedDict):
    title: str
    link: str
    image: str | None


class SectionMeta(TypedDict):
    key: str
    title: str
    agenda: bool
    items: list[ItemMeta]


class IssueMeta(TypedDict):
    """What issue.json holds about a rendered issue (and the archive keeps with it)."""

    edition: str
    edition_name: str
    number: int
    subject: str
    preheader: str
    issue_date: str  # ISO 8601
    period_start: str | None
    period_end: str
    web_url: str
    placeholders: list[str]  # the per-recipient placeholders the issue holds
    sections: list[SectionMeta]  # the sections with articles
    html_bytes: int
