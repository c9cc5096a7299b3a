"""Composition: the next issue of an edition, from the feed items published since the last one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from hub.config import Config, Edition, Section
from hub.db import Database
from hub.errors import UserError
from hub.timeutil import add_months
from newsletters import archive, store
from newsletters.agenda import agenda_entries
from newsletters.model import Article, Issue, IssueSection
from newsletters.sanitize import plain_text
from newsletters.text import escape_markdown, shorten

SUMMARY_MAX_CHARS = 320
PREHEADER_MAX_CHARS = 140


class ComposeError(UserError):
    """Nothing sensible can be composed; the message says what to do instead."""


class NoArticles(ComposeError):
    """No article of the period fits the edition's sections. What to do (fetch the feeds,
    widen the period) is each channel's to say: the CLI names its command and option."""

    def __init__(self, edition_name: str, since: str, items: int) -> None:
        self.edition_name = edition_name
        self.since = since  # the period's first day, AAAA-MM-JJ in the hub's time zone
        self.items = items
        super().__init__(
            f"aucun article pour « {edition_name} » publié depuis le {since} "
            f"({items} élément(s) du flux sur la période, aucun dans ses rubriques)"
        )


# Where a new paragraph starts in feed HTML: the summary keeps those breaks.
_BLOCK_START = re.compile(r"<(?:p|div|li|br|h[1-6]|blockquote|tr)\b[^>]*>", re.IGNORECASE)


def html_to_summary(html: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """The first paragraphs of `html` as plain text, cut on a word, safe to place in Markdown."""
    paragraphs = (plain_text(part) for part in _BLOCK_START.split(html))
    text = shorten("\n\n".join(p for p in paragraphs if p), limit)
    return escape_markdown(text)


def _matches(section: Section, categories: Sequence[str]) -> bool:
    wanted = {c.casefold() for c in section.categories}
    return any(c.casefold() in wanted for c in categories)


def _article(item: store.StoredItem, config: Config) -> Article:
    return Article(
        title=item.title,
        link=item.link or config.federation.website,
        summary=html_to_summary(item.summary_html or item.content_html),
        image_url=item.image_url,
        image_alt=item.image_alt or item.title,
        published=item.date.astimezone(config.tz).date(),
    )


def _subject(edition: Edition, number: int, lead: Article) -> str:
    return f"{edition.name} n°{number} : {lead.title}"


async def compose_issue(
    db: Database, config: Config, edition_key: str, *, now: datetime, since: datetime | None = None
) -> Issue:
    """The next issue of `edition_key`: numbered after the last one, with what is new since it.

    Without `since`, the window starts where the edition's last issue ended, or one period
    (`period_months`) back for an edition's first issue. Each item goes to the first section
    of the edition whose categories it carries.

    Agenda sections list the published events of the events table (not feed items) that start
    from `now` until one period ahead, when the next issue is due to take over: what readers
    can still attend before then. An edition anyone may receive lists only public events; a
    members-only edition lists every event its members may attend.
    """
    edition = config.edition(edition_key)
    last = await archive.last_issue(db, edition_key)
    number = last.number + 1 if last else edition.first_number
    if since is None:
        since = last.period_end if last else add_months(now, -edition.period_months)

    items = await store.items_published_between(db, since, now)
    used: set[int] = set()
    sections: list[IssueSection] = []
    for key in edition.sections:
        section = config.sections[key]
        if section.agenda:
            articles = await agenda_entries(
                db,
                config,
                start=now,
                end=add_months(now, edition.period_months),
                public_only=not edition.members_only,
                limit=section.max_items,
            )
        else:
            chosen = [i for i in items if i.id not in used and _matches(section, i.categories)]
            chosen = chosen[: section.max_items]
            used.update(i.id for i in chosen)
            articles = [_article(i, config) for i in chosen]
        if articles:
            sections.append(
                IssueSection(key=key, title=section.title, agenda=section.agenda, articles=articles)
            )

    news = [a for s in sections if not s.agenda for a in s.articles]
    if not news:
        local_since = since.astimezone(config.tz).strftime("%Y-%m-%d")
        raise NoArticles(edition.name, local_since, len(items))
    preheader = shorten(
        " · ".join(a.title for a in news[1:4]) or news[0].title, PREHEADER_MAX_CHARS
    )
    return Issue(
        edition=edition_key,
        number=number,
        subject=_subject(edition, number, news[0]),
        preheader=preheader,
        issue_date=now.astimezone(config.tz).date(),
        period_start=since,
        period_end=now,
        sections=sections,
    )
