"""The checks every rendered e-mail passes before anyone can send it: what would break in a
mailbox (relative links, images without alt text, external style sheets, script handlers), and
the contrast of white text on a colour.
"""

from __future__ import annotations

import re
from html import unescape

from hub.mail.placeholders import PLACEHOLDERS

_LINK_PLACEHOLDERS = frozenset({PLACEHOLDERS["unsubscribe_url"], PLACEHOLDERS["preferences_url"]})

# Possessive, and no bare "<" inside a tag: linear time whatever the HTML holds.
_TAG_RE = re.compile(r"""<([a-zA-Z][\w:-]*+)((?:[^<>"']++|"[^"]*+"|'[^']*+')*+)>""")
_HANDLER_RE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def check_html(html: str) -> list[str]:
    """What would break in a mailbox or in the web archive, in words for the editor.

    A link must be absolute (http, https, mailto) or a per-recipient placeholder; an image must
    have a non-empty alt and an absolute http(s) source; no external style sheet; no event
    handler attribute (what a value breaking out of its attribute would produce).
    """
    problems: list[str] = []
    for match in _TAG_RE.finditer(html):
        tag = match.group(1).lower()
        if tag not in ("img", "a", "link") and not _HANDLER_RE.search(match.group(2)):
            continue
        attrs = {
            m.group(1).lower(): unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR_RE.finditer(match.group(2))
        }
        handlers = [name for name in attrs if name.startswith("on")]
        if handlers:
            problems.append(f"attribut de script {handlers[0]} dans <{tag}> : « {match[0][:80]} »")
        if tag == "img":
            src = attrs.get("src", "")
            if not attrs.get("alt", "").strip():
                problems.append(f"image sans texte alternatif (alt) : « {src} »")
            if not src.startswith(("https://", "http://")):
                problems.append(
                    f"image à l'adresse non absolue « {src} » : elle doit commencer par https://"
                )
        elif tag == "a" and "href" in attrs:
            href = attrs["href"]
            if not href.startswith(("https://", "http://", "mailto:")) and (
                href not in _LINK_PLACEHOLDERS
            ):
                problems.append(
                    f"lien non absolu « {href} » : dans un e-mail, un lien doit commencer par "
                    "https://, http:// ou mailto:"
                )
        elif tag == "link" and "stylesheet" in attrs.get("rel", "").lower():
            problems.append(
                f"feuille de style externe « {attrs.get('href', '')} » : "
                "les messageries l'ignorent, tout style doit être dans le message"
            )
    return list(dict.fromkeys(problems))


def contrast_ratio(colour: str, other: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(colour), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
