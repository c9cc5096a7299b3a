"""Small text helpers shared by the feed reader, the composer and the renderer."""

from __future__ import annotations

import re

ELLIPSIS = "…"

_ENTITY = re.compile(r"&(?=#?\w+;)")
# Python-Markdown's escapable characters that mean something anywhere in a line.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]{}])")
_HEADING_OR_BULLET = re.compile(r"^(\s*)([#+-])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])(?=\s|$)", re.MULTILINE)


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut on a word boundary with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    cut = head.rsplit(None, 1)[0] if " " in head.strip() else head
    return cut.rstrip(",;: ") + ELLIPSIS


def escape_markdown(text: str) -> str:
    """Plain text (from a feed) made safe to place in Markdown: it reads the same once rendered.

    Without this, "&lt;iframe&gt;" in a feed, once decoded, would open a raw HTML block, and
    "*", "_", "# 1" or "1986. " would turn into emphasis, a heading or a list.
    """
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    text = _HEADING_OR_BULLET.sub(r"\1\\\2", text)
    return _NUMBERED.sub(r"\1\\\2", text)


def defuse_placeholders(text: str) -> str:
    """Content can never pose as a per-recipient placeholder: a word joiner splits its "[["."""
    return text.replace("[[", "[\u2060[")
