"""Markdown written by staff or pulled from feeds, turned into safe e-mail HTML or plain text.

Markdown lets raw HTML through, so its output is always sanitized with nh3 before it reaches a
template: only a few inline and block tags survive, links keep http(s)/mailto schemes. Relative
links are deliberately kept (not silently dropped) so that the renderer's output check can name
them and stop the issue. The plain-text form is derived from the same sanitized HTML, so both
alternatives of an e-mail say the same thing.

Python-Markdown and nh3 are imported on the first conversion: most `hub` commands import this
module and convert nothing.
"""

from __future__ import annotations

import functools
import re
import textwrap
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from newsletters.text import defuse_placeholders

if TYPE_CHECKING:
    import nh3


@functools.cache
def _cleaner() -> nh3.Cleaner:
    import nh3

    return nh3.Cleaner(
        tags={"a", "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code"},
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
    )


TEXT_WIDTH = 76
_BR = "\u2028"  # stands for <br> until lines are wrapped


@functools.lru_cache(maxsize=1024)
def markdown_to_html(text: str) -> str:
    """Markdown → sanitized HTML fragment (scripts, styles, event handlers and images removed),
    in which no text can pose as a per-recipient placeholder.

    Cached: rendering an issue converts each text twice (HTML part, then text part).
    """
    if not text.strip():
        return ""
    import markdown

    return _cleaner().clean(markdown.markdown(defuse_placeholders(text))).strip()


def colour_links(html: str, colour: str) -> str:
    """Inline the link colour: e-mail clients ignore most <style> rules, inline styles stay.

    Safe on sanitized HTML only, where every literal "<a " starts a real tag.
    """
    return html.replace("<a ", f'<a style="color:{colour};" ')


def _keep_french_punctuation(text: str) -> str:
    """No-break spaces where French puts a space ("Atlantique : merci", « guillemets »), so
    wrapping never starts a line with ":" or "»"."""
    return _FRENCH_SPACE_AFTER.sub("«\u00a0", _FRENCH_SPACE_BEFORE.sub("\u00a0\\1", text))


_FRENCH_SPACE_BEFORE = re.compile(r" ([:;!?»])")
_FRENCH_SPACE_AFTER = re.compile(r"« ")


def markdown_to_text(text: str) -> str:
    """Markdown → plain text for the text/plain alternative: no tags, links spelled out."""
    converter = _TextConverter()
    converter.feed(markdown_to_html(text))
    converter.close()
    return converter.text()


class _TextConverter(HTMLParser):
    """Sanitized HTML → wrapped paragraphs; a link reads "text (url)" unless text is the url."""

    _BLOCKS = frozenset({"p", "li", "blockquote", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._blocks: list[tuple[bool, str]] = []  # (is a list item, text)
        self._current: list[str] = []
        self._prefix = ""
        self._lists: list[int] = []  # per open list: 0 for <ul>, next number for <ol>
        self._quote = 0
        self._href: str | None = None
        self._link_start = 0

    def _flush(self) -> None:
        pieces = [
            _keep_french_punctuation(re.sub(r"\s+", " ", p).strip())
            for p in "".join(self._current).split(_BR)
        ]
        self._current = []
        if not any(pieces):
            return
        quote = "> " * self._quote
        indent = " " * len(self._prefix)
        lines: list[str] = []
        for piece in pieces:
            lines += textwrap.wrap(
                piece,
                TEXT_WIDTH - len(quote),
                initial_indent=indent if lines else self._prefix,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        self._blocks.append((bool(self._prefix), "\n".join(quote + line for line in lines)))
        self._prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self._flush()
        if tag == "ul":
            self._lists.append(0)
        elif tag == "ol":
            self._lists.append(1)
        elif tag == "li" and self._lists:
            number = self._lists[-1]
            self._prefix = "  " * (len(self._lists) - 1) + (f"{number}. " if number else "- ")
            if number:
                self._lists[-1] += 1
        elif tag == "blockquote":
            self._quote += 1
        elif tag == "br":
            self._current.append(_BR)
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self._link_start = len(self._current)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            label = "".join(self._current[self._link_start :]).strip()
            if label != self._href:
                self._current.append(f" ({self._href})")
            self._href = None
        if tag in self._BLOCKS:
            self._flush()
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "blockquote":
            self._quote = max(0, self._quote - 1)

    def handle_data(self, data: str) -> None:
        self._current.append(data)

    def text(self) -> str:
        self._flush()
        parts: list[str] = []
        previous_item = False
        for is_item, block in self._blocks:
            if parts:
                parts.append("\n" if is_item and previous_item else "\n\n")
            parts.append(block)
            previous_item = is_item
        return "".join(parts)
