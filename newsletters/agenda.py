"""The agenda section of an issue: the federation's upcoming events, from the events table.

The events the hub registers people for are the agenda's only source, so an issue never
announces an event that cannot be joined, nor misses one staff created. An entry links to the
event's page (where one registers), never to its video link: that goes only to confirmed
registrants, by e-mail.
"""

from __future__ import annotations

from datetime import datetime

from hub.config import Config
from hub.db import Database
from hub.events.audience import LABELS as AUDIENCE_LABELS
from hub.events.model import Event
from hub.timeutil import to_utc_text
from newsletters.model import Article
from newsletters.text import escape_markdown, shorten

ONLINE = "En ligne"
DESCRIPTION_MAX_CHARS = 240


async def agenda_entries(
    db: Database, config: Config, *, start: datetime, end: datetime, public_only: bool, limit: int
) -> list[Article]:
    """The published events starting in [start, end), soonest first, at most `limit`.

    `public_only` (an edition anyone may receive) keeps the events open to everyone; otherwise
    every event is listed, members-only ones with who they are for, since members read it.
    """
    rows = await db.fetch_all(
        "agenda_events",
        {
            "start": to_utc_text(start),
            "end": to_utc_text(end),
            "public_only": int(public_only),
            "limit": limit,
        },
    )
    return [_entry(Event.from_row(row), config) for row in rows]


def _entry(event: Event, config: Config) -> Article:
    """An event as an agenda entry: Paris times, its kind, its place or "En ligne", its page."""
    kind = config.event_kinds.get(event.kind)
    paragraphs = [
        escape_markdown(shorten(" ".join(event.description.split()), DESCRIPTION_MAX_CHARS))
    ]
    if event.audience != "public":
        label = AUDIENCE_LABELS[event.audience]
        paragraphs.append(f"{label[:1].upper()}{label[1:]}.")
    place = (event.venue, event.address)
    return Article(
        title=event.title,
        link=f"{config.web.base_url.rstrip('/')}/evenements/{event.slug}",
        summary="\n\n".join(p for p in paragraphs if p),
        event_start=event.starts_at.astimezone(config.tz),
        event_end=event.ends_at.astimezone(config.tz),
        location=ONLINE if event.online else ", ".join(p for p in place if p),
        kind=kind.name if kind else "",
    )
