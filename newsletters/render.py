"""Rendering an issue: Jinja → MJML (checked) → HTML (checked), plus its plain-text alternative.

An issue is rendered once, never per recipient. What differs per recipient stays in both the
HTML and the text as the placeholders of `PLACEHOLDERS`, which the sending step substitutes:

- ``[[first_name]]``: the recipient's first name *with a leading space* (" Marie"), or "" when
  unknown, so that "Bonjour[[first_name]]," reads "Bonjour Marie," or "Bonjour,". In the HTML
  part the sender must HTML-escape the name it substitutes (the text part takes it as is).
- ``[[unsubscribe_url]]`` and ``[[preferences_url]]``: that recipient's own absolute links.

The web archive shows the same HTML, filled by `fill_for_web`. Every rendering is checked
before anyone can send it: our MJML check (mjml-python validates nothing), every image has alt
text, every link works from a mailbox, and the HTML stays under Gmail's clipping size.
"""

from __future__ import annotations

import functools
import json
import math
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, time
from html import unescape
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup
from mjml import mjml_to_html

from hub.config import TEMPLATES_DIR, Config, ConfigError, Edition
from hub.errors import UserError
from hub.files import private_dir
from hub.timeutil import french_date, french_time
from newsletters.markup import colour_links, markdown_to_html, markdown_to_text
from newsletters.mjml_check import check_mjml
from newsletters.model import Article, Issue
from newsletters.text import defuse_placeholders

PLACEHOLDERS = {
    "first_name": "[[first_name]]",
    "unsubscribe_url": "[[unsubscribe_url]]",
    "preferences_url": "[[preferences_url]]",
}
_LINK_PLACEHOLDERS = frozenset({PLACEHOLDERS["unsubscribe_url"], PLACEHOLDERS["preferences_url"]})

ACCESS_KEY_PARAM = "cle"
GMAIL_CLIP_BYTES = 102 * 1024  # Gmail hides everything after this much HTML, unsubscribe included
MIN_CONTRAST = 4.5  # WCAG AA for normal text: white header text on the edition colour
ISSUE_MJML = "mjml/issue.mjml.j2"
ISSUE_TEXT = "text/issue.txt.j2"


class RenderError(UserError):
    """Why an issue cannot be rendered, in French, for the person who prepares it."""


@dataclass
class RenderedIssue:
    html: str
    text: str
    meta: dict[str, Any]  # what issue.json holds


def render_issue(
    issue: Issue,
    config: Config,
    templates_dir: Path = TEMPLATES_DIR,
    *,
    access_key: str | None = None,
) -> RenderedIssue:
    """Render and check an issue; any problem is a `RenderError` saying what to change."""
    edition = _edition(issue, config)
    context = _issue_context(issue, edition, config, access_key)
    html = compile_mjml(render_mjml(ISSUE_MJML, context, config, templates_dir))
    problems = check_html(html)
    if problems:
        raise RenderError(
            f"Le numéro {issue.number} de « {edition.name} » ne peut pas être envoyé :\n"
            + "\n".join(f"- {p}" for p in problems)
        )
    size = len(html.encode())
    if size > GMAIL_CLIP_BYTES:
        raise RenderError(_too_big(issue, config, templates_dir, size))
    text = render_text(ISSUE_TEXT, context, config, templates_dir)
    return RenderedIssue(html=html, text=text, meta=_meta(issue, edition, context, html, text))


def issue_mjml(issue: Issue, config: Config, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The MJML of an issue, as given to mjml-python (the fidelity test and the bench reuse it)."""
    edition = _edition(issue, config)
    return render_mjml(ISSUE_MJML, _issue_context(issue, edition, config), config, templates_dir)


def render_mjml(
    template: str, context: dict[str, Any], config: Config, templates_dir: Path = TEMPLATES_DIR
) -> str:
    """Jinja stage of any e-mail: `context` plus what every e-mail shares."""
    return _render(_environment(templates_dir, "mjml"), template, context, config)


def render_text(
    template: str, context: dict[str, Any], config: Config, templates_dir: Path = TEMPLATES_DIR
) -> str:
    """A plain-text template; blank-line runs left by blocks are collapsed."""
    text = _render(_environment(templates_dir, "text"), template, context, config)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


_MJ_TEXT_RE = re.compile(r"(<mj-text\b[^>]*(?<!/)>)(.*?)</mj-text>", re.DOTALL)


def compile_mjml(source: str) -> str:
    """MJML → HTML with mjml-python, after our own check of the MJML.

    The contents of <mj-text> are set aside and put back verbatim afterwards, as the official
    MJML does: mjml-python re-parses and re-serializes (bs4) the whole subtree of every element
    at every level, which for an issue's HTML contents was half of its time. The token is
    unguessable, so no text from a draft can pose as one.
    """
    problems = check_mjml(source)
    if problems:
        raise RenderError(
            "Le gabarit a produit du MJML invalide :\n" + "\n".join(f"- {p}" for p in problems)
        )
    token = f"mj-text-{secrets.token_hex(8)}-"
    contents: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        contents.append(match.group(2).strip())
        return f"{match.group(1)}{token}{len(contents) - 1}</mj-text>"

    try:
        result = mjml_to_html(StringIO(_MJ_TEXT_RE.sub(set_aside, source)))
    except Exception as exc:  # mjml-python fails with assertions and bare exceptions
        raise RenderError(f"mjml-python n'a pas pu convertir le MJML : {exc!r}") from exc
    if result.errors:
        raise RenderError("mjml-python signale : " + " ; ".join(map(str, result.errors)))
    return re.sub(rf"{token}(\d+)", lambda m: contents[int(m.group(1))], result.html)


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


def fill_for_web(html: str, config: Config) -> str:
    """The archive's version (of the HTML or the text): no first name, subscription links to the
    public sign-up page."""
    page = f"{_base_url(config)}/abonnement"
    values = {"first_name": "", "unsubscribe_url": page, "preferences_url": page}
    for key, placeholder in PLACEHOLDERS.items():
        html = html.replace(placeholder, values[key])
    return html


def write_rendered(rendered: RenderedIssue, out_dir: Path) -> list[Path]:
    """Write issue.html, issue.txt and issue.json, each replaced whole (never seen half-written)."""
    private_dir(out_dir)
    contents = {
        "issue.html": rendered.html,
        "issue.txt": rendered.text,
        "issue.json": json.dumps(rendered.meta, indent=2, ensure_ascii=False) + "\n",
    }
    paths = []
    for name, content in contents.items():
        path = out_dir / name
        partial = out_dir / f".{name}.tmp"
        partial.write_text(content, encoding="utf-8", newline="")
        partial.replace(path)
        paths.append(path)
    return paths


def web_url(config: Config, edition: str, number: int, access_key: str | None = None) -> str:
    """Where the archive shows an issue: the "Voir dans le navigateur" link.

    A members-only issue opens only with its access key, so the link carries it.
    """
    url = f"{_base_url(config)}/archives/{edition}/{number}"
    return f"{url}?{ACCESS_KEY_PARAM}={access_key}" if access_key else url


def event_when(article: Article, tz: ZoneInfo) -> str:
    """'mercredi 4 novembre 2026, 9h → jeudi 5 novembre 2026, 17h' ('→ 17h' on the same day).

    A time of midnight means a date without a time, as typed in drafts.
    """
    if article.event_start is None:
        return ""
    start = _local(article.event_start, tz)
    text = _moment(start)
    if article.event_end is not None:
        end = _local(article.event_end, tz)
        if end.date() != start.date():
            text += f" → {_moment(end)}"
        elif end.time() not in (time(), start.time()):
            text += f" → {french_time(end)}"
    return text


def contrast_ratio(colour: str, other: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(colour), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def _moment(value: datetime) -> str:
    day = french_date(value.date(), weekday=True)
    return day if value.time() == time() else f"{day}, {french_time(value)}"


def _markdown_filter(text: str, colour: str) -> Markup:
    """The only way HTML from drafts and feeds enters a template: sanitized by nh3 first."""
    return Markup(colour_links(markdown_to_html(text), colour))


# mjml-python writes the attributes of MJML components back *decoded* and unescaped, so a '"'
# in a value would end the attribute and start new ones (alt="x" onerror="…"). The official
# MJML keeps them as written. Values from drafts and feeds in MJML attributes therefore never
# contain '"': URLs get it percent-encoded, texts get a typographic quote. Both renderers then
# agree, and what is left (&, <, >) is harmless inside a quoted attribute.
_URL_UNSAFE = str.maketrans({'"': "%22", "<": "%3C", ">": "%3E", " ": "%20"})


def _attr_url(url: str) -> str:
    return url.strip().translate(_URL_UNSAFE)


def _attr_text(text: str) -> str:
    return re.sub(r'"([^"]*)"', r"“\1”", text).replace('"', "”")


def _underline(title: str) -> str:
    return f"{title}\n{'=' * len(title)}"


def _defuse(value: object) -> object:
    """Every value a template prints, unless it is trusted markup (the placeholders, sanitized
    Markdown, itself defused), loses any "[[": no content can pose as a placeholder that the
    sender would fill with a recipient's own unsubscribe link."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return defuse_placeholders(value)
    return value


_TRUSTED_PLACEHOLDERS = {key: Markup(value) for key, value in PLACEHOLDERS.items()}


@functools.cache
def _environment(templates_dir: Path, kind: str) -> Environment:
    """Built once per templates folder: MJML autoescapes everything, plain text nothing."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=kind == "mjml",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_defuse,
        auto_reload=False,  # templates ship with the code: no disk check per render
    )
    env.filters["date_fr"] = french_date
    env.filters["when"] = event_when
    if kind == "mjml":
        env.filters["markdown"] = _markdown_filter
        env.filters["attr_url"] = _attr_url
        env.filters["attr_text"] = _attr_text
    else:
        env.filters["plain"] = markdown_to_text
        env.filters["underline"] = _underline
    return env


def _render(env: Environment, template: str, context: dict[str, Any], config: Config) -> str:
    shared = {"federation": config.federation, "ph": _TRUSTED_PLACEHOLDERS, "tz": config.tz}
    try:
        return env.get_template(template).render(shared | context)
    except TemplateError as exc:
        raise RenderError(f"gabarit {template} : {exc}") from exc


def _base_url(config: Config) -> str:
    return config.web.base_url.rstrip("/")


def _edition(issue: Issue, config: Config) -> Edition:
    """The issue's edition, refused if its colour is too light for the header's white text."""
    try:
        edition = config.edition(issue.edition)
    except ConfigError as exc:
        raise RenderError(str(exc)) from None
    ratio = contrast_ratio(edition.colour, "#ffffff")
    if ratio < MIN_CONTRAST:
        raise RenderError(
            f"La couleur {edition.colour} de l'édition {issue.edition} est trop claire : le texte "
            f"blanc de l'en-tête y serait illisible (contraste {_decimal(ratio)}:1, il faut au "
            f"moins {_decimal(MIN_CONTRAST)}:1). Choisissez une couleur plus foncée dans "
            f"{config.path}."
        )
    return edition


def _issue_context(
    issue: Issue, edition: Edition, config: Config, access_key: str | None = None
) -> dict[str, Any]:
    return {
        "issue": issue,
        "edition": edition,
        "accent": edition.colour,
        "title": issue.subject,
        "preheader": issue.preheader,
        "web_url": web_url(config, issue.edition, issue.number, access_key),
    }


def _decimal(value: float) -> str:
    """One decimal, the French way: '12,4'."""
    return f"{value:.1f}".replace(".", ",")


def _kb(size: float) -> str:
    """Kilobytes, rounded up so that cutting that much is enough."""
    return _decimal(math.ceil(size / 1024 * 10) / 10)


def _too_big(issue: Issue, config: Config, templates_dir: Path, size: int) -> str:
    """How much to cut, in KB and in articles of the issue's average size."""
    excess = size - GMAIL_CLIP_BYTES
    message = (
        f"Le numéro {issue.number} fait {_kb(size)} Ko de HTML : au-delà de "
        f"{GMAIL_CLIP_BYTES // 1024} Ko, Gmail le coupe et cache la fin (dont le lien de "
        f"désinscription). Retirez au moins {_kb(excess)} Ko"
    )
    count = len(issue.articles)
    if not count:
        return message + " (l'éditorial est trop long)."
    # Only on failure: the same issue without articles gives the fixed part of the size.
    empty = replace(issue, sections=[replace(s, articles=[]) for s in issue.sections])
    fixed = len(compile_mjml(issue_mjml(empty, config, templates_dir)).encode())
    average = max(1, (size - fixed) / count)
    to_cut = math.ceil(excess / average)
    return (
        f"{message}, soit environ {to_cut} article{'s' if to_cut > 1 else ''} sur {count} "
        f"(un article y pèse en moyenne {_kb(average)} Ko) ou des résumés plus courts."
    )


def _meta(
    issue: Issue, edition: Edition, context: dict[str, Any], html: str, text: str
) -> dict[str, Any]:
    return {
        "edition": issue.edition,
        "edition_name": edition.name,
        "number": issue.number,
        "subject": issue.subject,
        "preheader": issue.preheader,
        "issue_date": issue.issue_date.isoformat(),
        "period_start": issue.period_start.isoformat() if issue.period_start else None,
        "period_end": issue.period_end.isoformat(),
        "web_url": context["web_url"],
        "placeholders": [p for p in PLACEHOLDERS.values() if p in html or p in text],
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "agenda": section.agenda,
                "items": [
                    {"title": a.title, "link": a.link, "image": a.image_url}
                    for a in section.articles
                ],
            }
            for section in issue.sections
            if section.articles
        ],
        "html_bytes": len(html.encode()),
    }
