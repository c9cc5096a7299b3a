"""Feed HTML made safe to store and to put in an e-mail: an allowlist, absolute http(s) URLs.

Feeds are written by many people and tools; whatever they contain, only a small set of
formatting tags survives, every link or image points to an absolute http(s) (or mailto) URL,
and links open without giving the target page access to ours.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
})  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
URL_ATTRIBUTES = frozenset({"href", "src"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"
# Dropped with everything inside them: their content is code or a foreign document, not text.
_DROP_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
    "textarea", "select", "title", "xmp", "noembed", "noframes",
}  # fmt: skip
_IGNORED_IN_URL = re.compile(r"[\t\n\r]")
_EDGES_OF_URL = "".join(map(chr, range(0x21)))  # C0 controls and space, as browsers strip them
_SPACES = re.compile(r"\s+")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")  # as a browser's URL parser reads it


def absolute_url(
    value: str | None, base: str | None, schemes: frozenset[str] = URL_SCHEMES
) -> str | None:
    """`value` made absolute against `base`, or None if it is not a URL with an allowed scheme.

    Tabs and newlines inside a URL and controls around it are removed first, as a browser
    would, so `java&#9;script:` cannot pass for a relative URL.
    """
    if not value:
        return None
    url = _IGNORED_IN_URL.sub("", value).strip(_EDGES_OF_URL)
    if not _SCHEME.match(url):  # relative: only usable against a base
        if not (url and base):
            return None
        try:
            url = urljoin(base, url)
        except ValueError:  # e.g. "//[bad-host"
            return None
    scheme = _SCHEME.match(url)
    return url if scheme and scheme[1].lower() in schemes else None


def sanitize_html(fragment: str, base: str | None = None) -> str:
    """Keep allowlisted tags and attributes; make href/src absolute against `base` or drop them."""
    if not fragment:
        return ""

    def filter_attribute(tag: str, attribute: str, value: str) -> str | None:
        if attribute in URL_ATTRIBUTES:
            return absolute_url(value, base)
        return value

    import nh3

    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def plain_text(fragment: str | None) -> str:
    """Text without any markup: tags stripped, entities decoded, whitespace collapsed."""
    if not fragment:
        return ""
    import nh3

    text = nh3.clean(fragment, tags=set(), clean_content_tags=_DROP_WITH_CONTENT)
    return _SPACES.sub(" ", html.unescape(text)).strip()
