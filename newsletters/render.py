"""Rendering an issue: Jinja → MJML (checked) → HTML (checked), plus its plain-text alternative.

An issue is rendered once, never per recipient. What differs per recipient stays in both the
HTML and the text as the placeholders of `hub.mail.placeholders` (`[[first_name]]`,
`[[unsubscribe_url]]`, `[[preferences_url]]`), which the sending step substitutes.

The web archive shows the same HTML, filled by `fill_for_web`. Every rendering is checked
before anyone can send it: our MJML check (mjml-python validates nothing), every image has alt
text, every link works from a mailbox (`newsletters.checks`), and the HTML stays under
Gmail's clipping size. The engine itself, shared with the hub's notices, is
`newsletters.templating`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

from hub.config import TEMPLATES_DIR, Config, ConfigError, Edition
from hub.files import private_dir
from hub.mail.placeholders import PLACEHOLDERS
from newsletters.checks import check_html, contrast_ratio
from newsletters.model import Issue, IssueMeta
from newsletters.templating import RenderError, compile_mjml, render_mjml, render_text

ACCESS_KEY_PARAM = "cle"
GMAIL_CLIP_BYTES = 102 * 1024  # Gmail hides everything after this much HTML, unsubscribe included
MIN_CONTRAST = 4.5  # WCAG AA for normal text: white header text on the edition colour
ISSUE_MJML = "mjml/issue.mjml.j2"
ISSUE_TEXT = "text/issue.txt.j2"


@dataclass
class RenderedIssue:
    html: str
    text: str
    meta: IssueMeta  # what issue.json holds


def render_issue(
    issue: Issue,
    config: Config,
    templates_dir: Path = TEMPLATES_DIR,
    *,
    access_key: str | None = None,
) -> RenderedIssue:
    """Render and check an issue; any problem is a `RenderError` saying what to change."""
    edition = _edition(issue, config)
    url = web_url(config, issue.edition, issue.number, access_key)
    context = _issue_context(issue, edition, url)
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
    return RenderedIssue(html=html, text=text, meta=_meta(issue, edition, url, html, text))


def issue_mjml(issue: Issue, config: Config, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The MJML of an issue, as given to mjml-python (the fidelity test and the bench reuse it)."""
    context = _issue_context(
        issue, _edition(issue, config), web_url(config, issue.edition, issue.number)
    )
    return render_mjml(ISSUE_MJML, context, config, templates_dir)


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


def _issue_context(issue: Issue, edition: Edition, url: str) -> dict[str, object]:
    return {
        "issue": issue,
        "edition": edition,
        "accent": edition.colour,
        "title": issue.subject,
        "preheader": issue.preheader,
        "web_url": url,
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


def _meta(issue: Issue, edition: Edition, url: str, html: str, text: str) -> IssueMeta:
    return {
        "edition": issue.edition,
        "edition_name": edition.name,
        "number": issue.number,
        "subject": issue.subject,
        "preheader": issue.preheader,
        "issue_date": issue.issue_date.isoformat(),
        "period_start": issue.period_start.isoformat() if issue.period_start else None,
        "period_end": issue.period_end.isoformat(),
        "web_url": url,
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
