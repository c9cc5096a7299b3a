"""A feed document (RSS 0.9x/1.0/2.0, Atom 0.3/1.0) turned into sanitized `FeedItem`s.

feedparser reads the bytes (so declared encodings work) with its own sanitizing and URL
resolution turned off: `newsletters.sanitize` does both, faster and with our allowlist. Every
item that can be read is kept; everything odd is reported as a `Problem` rather than raised.
This is CPU-bound and synchronous on purpose: callers run it in a thread.

feedparser is imported on the first document read, not with this module, which every `hub`
command imports.
"""

from __future__ import annotations

import calendar
import functools
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html.parser import HTMLParser
from typing import Any, NamedTuple
from xml.sax import SAXParseException

from newsletters.model import FeedItem
from newsletters.sanitize import absolute_url, plain_text, sanitize_html
from newsletters.text import shorten

_WEB = frozenset({"http", "https"})
_HTML_TYPES = {"text/html", "application/xhtml+xml", "html", "xhtml"}
_ISO_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
_UNTITLED_LENGTH = 80
_DATE_NAMES = {
    "published": "publication",
    "updated": "mise à jour",
    "ev_startdate": "début de l'événement",
    "ev_enddate": "fin de l'événement",
}


# feedparser ships no types: its entries (and their *_detail, media…) are FeedParserDicts,
# dicts that also answer attribute access, seen here as Any; so is its parser.
FeedDict = Any


def _start_media_description(self: Any, attrs: dict[str, str]) -> None:
    self.push("media_description", 1)


def _end_media_description(self: Any) -> None:
    self.pop("media_description")


@functools.cache
def _feedparser() -> Any:
    """The feedparser module (untyped: Any), imported and adjusted once (calling this again
    costs a cache lookup)."""
    import feedparser
    from feedparser.namespaces.mediarss import Namespace as MediaRss

    # feedparser handles media:description as the item's own description, so an image caption
    # overwrites the summary (or the content). Keep it under its own key, `media_description`.
    MediaRss._start_media_description = _start_media_description
    MediaRss._end_media_description = _end_media_description
    return feedparser


class Problem(NamedTuple):
    """Something wrong with one item (`item` names it) or with the whole feed (`item` is None)."""

    item: str | None
    reason: str


@dataclass
class ParsedFeed:
    title: str | None
    items: list[FeedItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None  # set when the document is not a feed at all


def parse_feed(
    body: bytes,
    *,
    content_type: str | None = None,
    base_url: str | None = None,
    local_tz: tzinfo,
) -> ParsedFeed:
    """Read a feed document. `base_url` is where it came from (None for a local file).

    Relative URLs are resolved against the item link, else `base_url`, else the feed's own
    web-site link. Dates without a time zone are read in `local_tz`.
    """
    headers = {"content-type": content_type} if content_type else {}
    feedparser = _feedparser()
    try:
        parsed = feedparser.parse(
            body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as exc:  # feedparser has its own bugs, e.g. on a garbled encoding name
        return ParsedFeed(title=None, error=f"document illisible (feedparser : {exc!r})")
    if not parsed.get("version"):
        reason = _bozo_reason(parsed.get("bozo_exception")) if parsed.get("bozo") else None
        return ParsedFeed(
            title=None,
            error="le document n'est pas un flux RSS ou Atom" + (f" ({reason})" if reason else ""),
        )

    feed_link = absolute_url(parsed.feed.get("link"), base_url, _WEB)
    result = ParsedFeed(title=_text(parsed.feed, "title") or None)
    if parsed.get("bozo"):
        result.problems.append(Problem(None, _bozo_reason(parsed.get("bozo_exception"))))
    reader = _EntryReader(base_url or feed_link, local_tz)
    seen: dict[str, int] = {}
    for position, entry in enumerate(parsed.entries, start=1):
        item, problems = reader.read(entry, position)
        result.problems.extend(problems)
        if item is None:
            continue
        if item.identity in seen:
            result.problems.append(
                Problem(
                    _label(position, item.title),
                    f"identifiant déjà utilisé par l'élément n° {seen[item.identity]} : ignoré",
                )
            )
            continue
        seen[item.identity] = position
        result.items.append(item)
    return result


def _bozo_reason(exc: BaseException | None) -> str:
    """feedparser's complaint about the document, in words for the staff."""
    if isinstance(exc, SAXParseException):
        return (
            f"XML mal formé ligne {exc.getLineNumber()}, colonne {exc.getColumnNumber()} "
            f"({exc.getMessage()}) : lu en mode tolérant, des éléments peuvent manquer"
        )
    feedparser = _feedparser()
    if isinstance(exc, feedparser.CharacterEncodingOverride):
        return f"encodage déclaré incorrect, lu autrement : {exc}"
    if isinstance(exc, feedparser.NonXMLContentType):
        return f"type de contenu non XML annoncé par le serveur : {exc}"
    return f"document irrégulier : {exc}"


def _label(position: int, title: str | None) -> str:
    return f"élément n° {position} « {title} »" if title else f"élément n° {position}"


def _text(container: FeedDict, key: str) -> str:
    """A text field as plain text, whether the feed declared it as HTML or as text."""
    value = container.get(key) or ""
    detail = container.get(f"{key}_detail") or {}
    if detail.get("type") in _HTML_TYPES:
        return plain_text(value)
    return " ".join(value.split())


class _EntryReader:
    """Turns feedparser entries into `FeedItem`s for one feed."""

    def __init__(self, feed_base: str | None, local_tz: tzinfo) -> None:
        self.feed_base = feed_base
        self.local_tz = local_tz

    def read(self, entry: FeedDict, position: int) -> tuple[FeedItem | None, list[Problem]]:
        problems: list[Problem] = []
        link = absolute_url(entry.get("link"), self.feed_base, _WEB)
        title = _text(entry, "title")
        label = _label(position, title or None)
        if not title and not link:
            return None, [Problem(label, "ni titre ni lien : ignoré")]

        base = self._content_base(entry, link)
        summary_html = self._html(entry.get("summary"), entry.get("summary_detail"), base)
        content_html = next(
            (self._html(c.get("value"), c, base) for c in entry.get("content") or []), ""
        )
        if not title:
            text = plain_text(summary_html or content_html)
            title = shorten(text, _UNTITLED_LENGTH) or link or ""
            problems.append(Problem(label, f"sans titre : titre repris du texte (« {title} »)"))
            label = _label(position, title)

        published_at = None
        for key in ("published", "updated"):
            if entry.get(key):
                published_at = self._date(entry, key, label, problems)
                break

        item = FeedItem(
            identity="",
            title=title,
            link=link,
            summary_html=summary_html,
            content_html=content_html,
            author=self._author(entry),
            categories=_categories(entry),
            published_at=published_at,
            event_start=self._date(entry, "ev_startdate", label, problems),
            event_end=self._date(entry, "ev_enddate", label, problems),
            event_location=" ".join((entry.get("ev_location") or "").split()) or None,
        )
        item.image_url, item.image_alt = self._image(entry, item, base)
        identity = (entry.get("id") or "").strip() or link
        item.identity = identity or f"sha256:{item.content_hash()}"
        return item, problems

    def _content_base(self, entry: FeedDict, link: str | None) -> str | None:
        """xml:base when the feed gives one, else the item link, else the feed's base."""
        for detail in (entry.get("summary_detail"), *(entry.get("content") or [])):
            if detail and detail.get("base"):
                return absolute_url(detail["base"], self.feed_base, _WEB)
        return link or self.feed_base

    @staticmethod
    def _html(value: str | None, detail: FeedDict, base: str | None) -> str:
        if not value:
            return ""
        if detail and detail.get("type") not in _HTML_TYPES:
            return html.escape(value.strip())
        return sanitize_html(value, base)

    def _date(
        self, entry: FeedDict, key: str, label: str, problems: list[Problem]
    ) -> datetime | None:
        """A UTC datetime, or None (reported) when the text cannot be read as a date.

        ISO 8601 text is read here, strictly (feedparser turns month 13 into January); other
        formats (RFC 822…) are left to feedparser, whose result is in UTC.
        """
        raw = (entry.get(key) or "").strip()
        if not raw:
            return None
        value: datetime | None
        try:
            if _ISO_DATE.match(raw):
                value = _iso_datetime(raw, self.local_tz)
            else:
                parsed = entry.get(f"{key}_parsed")
                value = datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None
            value = value.astimezone(UTC) if value else None
        except (OverflowError, ValueError):  # not a date, or out of range once in UTC
            value = None
        if value is None:
            reason = f"date illisible ({_DATE_NAMES[key]} : « {raw} ») : gardé sans cette date"
            problems.append(Problem(label, reason))
        return value

    @staticmethod
    def _author(entry: FeedDict) -> str | None:
        detail = entry.get("author_detail") or {}
        return plain_text(detail.get("name") or entry.get("author")) or None

    def _image(
        self, entry: FeedDict, item: FeedItem, base: str | None
    ) -> tuple[str | None, str | None]:
        """The lead image: image enclosure, else media:content, else media:thumbnail, else the
        first <img> of the content; its alt text from media:description, the img, or the title."""
        candidates = [
            *(e.get("href") for e in entry.get("enclosures") or [] if _is_image(e)),
            *(m.get("url") for m in entry.get("media_content") or [] if _is_image(m)),
            *(t.get("url") for t in entry.get("media_thumbnail") or []),
        ]
        image_alt = plain_text(entry.get("media_description")) or None
        for candidate in candidates:
            url = absolute_url(candidate, base, _WEB)
            if url:
                return url, image_alt or item.title
        found = _first_image(item.content_html) or _first_image(item.summary_html)
        if found:
            return found[0], image_alt or found[1] or item.title
        return None, None


def _is_image(media: FeedDict) -> bool:
    return media.get("medium") == "image" or (media.get("type") or "").startswith("image/")


def _categories(entry: FeedDict) -> list[str]:
    """The item's category terms as given (whitespace trimmed), without repeats."""
    terms: dict[str, str] = {}
    for tag in entry.get("tags") or []:
        term = " ".join((tag.get("term") or "").split())
        if term:
            terms.setdefault(term.casefold(), term)
    return list(terms.values())


def _iso_datetime(raw: str, local_tz: tzinfo) -> datetime:
    """ISO 8601 / W3C-DTF (ValueError if not); a bare date is midnight, no offset means local."""
    value = datetime.fromisoformat(raw)
    return value.replace(tzinfo=local_tz) if value.tzinfo is None else value


class _FirstImage(HTMLParser):
    """Finds the first <img> with a src."""

    def __init__(self) -> None:
        super().__init__()
        self.found: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and self.found is None:
            values = dict(attrs)
            if values.get("src"):
                self.found = (values["src"] or "", " ".join((values.get("alt") or "").split()))


def _first_image(sanitized: str) -> tuple[str, str] | None:
    """(src, alt) of the first image of sanitized HTML, whose src is already absolute and safe."""
    if "<img" not in sanitized:
        return None
    parser = _FirstImage()
    parser.feed(sanitized)
    parser.close()
    return parser.found
