"""The HTML sanitizer against a corpus of XSS payloads, checked by parsing its output."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsletters.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    absolute_url,
    plain_text,
    sanitize_html,
)

PAYLOADS = [
    line
    for line in (Path(__file__).parent / "data" / "xss.txt").read_text("utf-8").splitlines()
    if line
]
BASE = "https://www.fcpts.org/actualites/article"
NEVER_ALLOWED = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "input", "button", "select", "textarea", "keygen", "meta", "base", "link", "svg", "math",
    "details", "video", "audio", "source", "template", "noscript", "xmp", "body", "isindex",
}  # fmt: skip
SAFE_SCHEMES = {"http", "https", "mailto"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def elements(fragment: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = _Collector()
    collector.feed(fragment)
    collector.close()
    return collector.elements


def browser_scheme(url: str) -> str:
    """The scheme a browser would see: controls around and tabs/newlines inside are ignored."""
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(0x21))))
    return urlsplit(cleaned).scheme.lower()


def test_corpus_is_large_enough() -> None:
    assert len(PAYLOADS) >= 40


def test_allowlist_excludes_dangerous_tags() -> None:
    assert not ALLOWED_TAGS & NEVER_ALLOWED
    assert not any(
        a.startswith("on") or a == "style" for s in ALLOWED_ATTRIBUTES.values() for a in s
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralized(payload: str) -> None:
    cleaned = sanitize_html(payload, BASE)
    for tag, attrs in elements(cleaned):
        assert tag in ALLOWED_TAGS, f"<{tag}> survived: {cleaned!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"{name} survived: {cleaned!r}"
            allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
            assert name in allowed, f"{tag}[{name}] survived: {cleaned!r}"
            if name in ("href", "src"):
                assert value and browser_scheme(value) in SAFE_SCHEMES, cleaned
                assert urlsplit(value).scheme in SAFE_SCHEMES  # absolute, as stored
    # Belt and braces, in case html.parser reads the output differently from a browser.
    lowered = cleaned.lower()
    assert not any(f"<{tag}" in lowered for tag in NEVER_ALLOWED), cleaned
    assert "expression(" not in lowered and "style=" not in lowered, cleaned
    # Sanitizing is stable: its output is already clean.
    assert sanitize_html(cleaned, BASE) == cleaned


def test_formatting_and_safe_links_are_kept() -> None:
    html = (
        "<h2>Titre</h2><p>Un <strong>texte</strong> <em>important</em>, "
        '<a href="https://www.fcpts.org/a" title="A">un lien</a>, '
        '<a href="mailto:contact@fcpts.org">écrire</a>.</p>'
        '<ul><li>un</li></ul><img src="https://www.fcpts.org/i.png" alt="Image">'
    )
    assert sanitize_html(html, BASE) == (
        "<h2>Titre</h2><p>Un <strong>texte</strong> <em>important</em>, "
        '<a href="https://www.fcpts.org/a" title="A" rel="noopener noreferrer">un lien</a>, '
        '<a href="mailto:contact@fcpts.org" rel="noopener noreferrer">écrire</a>.</p>'
        '<ul><li>un</li></ul><img src="https://www.fcpts.org/i.png" alt="Image">'
    )


def test_relative_urls_are_made_absolute_or_dropped_without_a_base() -> None:
    html = '<a href="../guide.pdf">guide</a><img src="/img/a.png" alt="">'
    assert sanitize_html(html, BASE) == (
        '<a href="https://www.fcpts.org/guide.pdf" rel="noopener noreferrer">guide</a>'
        '<img src="https://www.fcpts.org/img/a.png" alt="">'
    )
    assert sanitize_html(html, None) == '<a rel="noopener noreferrer">guide</a><img alt="">'


def test_rel_from_the_feed_is_replaced() -> None:
    cleaned = sanitize_html('<a href="https://x.org/" rel="opener" target="_top">x</a>', BASE)
    assert cleaned == '<a href="https://x.org/" rel="noopener noreferrer">x</a>'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("img/a.png", "https://www.fcpts.org/actualites/img/a.png"),
        ("//cdn.fcpts.org/a.png", "https://cdn.fcpts.org/a.png"),
        (" https://www.fcpts.org/a ", "https://www.fcpts.org/a"),
        ("java\tscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("file:///etc/passwd", None),
        ("", None),
    ],
)
def test_absolute_url(value: str, expected: str | None) -> None:
    assert absolute_url(value, BASE) == expected


def test_plain_text() -> None:
    assert plain_text("Santé &amp; <b>territoires</b>\n <script>x()</script> 2026") == (
        "Santé & territoires 2026"
    )
    assert plain_text("a &lt; b") == "a < b"
    assert plain_text(None) == ""
