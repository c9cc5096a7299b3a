"""The e-mail engine every mail of the hub goes through: Jinja → MJML (checked) → HTML, and
the plain-text alternative from its own template.

Issues (`newsletters.render`) and the hub's notices (events, subscriptions) render with it. What
it guards: HTML from drafts and feeds enters a template only sanitized (the `markdown` filter),
no printed value can pose as a per-recipient placeholder, and values in MJML attributes never
contain the '"' that mjml-python would let out of the attribute.

Jinja and mjml-python are imported on the first rendering, not with this module: every `hub`
command imports it, few render (mjml-python alone, with BeautifulSoup, is a tenth of a second).
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, time
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from markupsafe import Markup

from hub.config import TEMPLATES_DIR, Config
from hub.errors import UserError
from hub.mail.placeholders import PLACEHOLDERS
from hub.timeutil import french_date, french_time
from newsletters.markup import colour_links, markdown_to_html, markdown_to_text
from newsletters.mjml_check import check_mjml
from newsletters.model import Article
from newsletters.text import defuse_placeholders

if TYPE_CHECKING:
    from jinja2 import Environment


class RenderError(UserError):
    """Why an e-mail (an issue, a notice) cannot be rendered, in French, for the person who
    prepares it."""


def render_mjml(
    template: str,
    context: Mapping[str, object],
    config: Config,
    templates_dir: Path = TEMPLATES_DIR,
) -> str:
    """Jinja stage of any e-mail: `context` plus what every e-mail shares."""
    return _render(_environment(templates_dir, "mjml"), template, context, config)


def render_text(
    template: str,
    context: Mapping[str, object],
    config: Config,
    templates_dir: Path = TEMPLATES_DIR,
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
    from mjml import mjml_to_html

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
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

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


def _render(env: Environment, template: str, context: Mapping[str, object], config: Config) -> str:
    from jinja2 import TemplateError

    shared = {"federation": config.federation, "ph": _TRUSTED_PLACEHOLDERS, "tz": config.tz}
    try:
        return env.get_template(template).render({**shared, **context})
    except TemplateError as exc:
        raise RenderError(f"gabarit {template} : {exc}") from exc
