"""Rendering issues: every edition, escaping, sanitizing, the text part, issue.json, the checks."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hub.config import Config, Edition
from hub.mail.placeholders import PLACEHOLDERS
from newsletters.checks import check_html, contrast_ratio
from newsletters.markup import markdown_to_text
from newsletters.model import IssueSection
from newsletters.render import (
    GMAIL_CLIP_BYTES,
    MIN_CONTRAST,
    fill_for_web,
    render_issue,
    write_rendered,
)
from newsletters.templating import RenderError
from tests.newsletters.factories import PARIS, SITE, full_issue, small_issue

EDITIONS = ["bimestrielle", "flash", "condense", "essentiel"]
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_edition_renders(config: Config, edition: str) -> None:
    issue = full_issue(config, edition)
    rendered = render_issue(issue, config)
    html, text = rendered.html, rendered.text
    spec = config.editions[edition]

    assert '<html lang="fr"' in html
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert title and unescape(title.group(1)).strip() == issue.subject
    assert issue.preheader in html
    assert f"background-color:{spec.colour}" in html
    assert f">{spec.name}</h1>" in unescape(html)
    assert "N° 12 — 4 novembre 2026" in html
    assert config.federation.name in html
    assert config.federation.postal_address in html
    assert f'href="http://127.0.0.1:8080/archives/{edition}/12"' in html
    assert 'href="[[preferences_url]]"' in html and 'href="[[unsubscribe_url]]"' in html
    assert "Bonjour[[first_name]]," in html
    for section in issue.sections:
        assert section.title in unescape(html)
        for article in section.articles:
            assert f'href="{article.link}"' in html
    assert check_html(html) == []
    assert "<link" not in html  # no external style sheet, no web font

    assert text.startswith(f"{spec.name}\nN° 12 — 4 novembre 2026\n")
    assert "Bonjour[[first_name]]," in text
    assert not TAG.search(text)


def test_placeholders_are_left_for_the_sender(config: Config) -> None:
    rendered = render_issue(full_issue(config, "bimestrielle"), config)
    for placeholder in PLACEHOLDERS.values():
        assert placeholder in rendered.html
        assert placeholder in rendered.text
    assert rendered.meta["placeholders"] == list(PLACEHOLDERS.values())
    # Untouched: never escaped, URL-encoded or split by the renderers.
    assert "%5B%5B" not in rendered.html and "&#91;" not in rendered.html


class _Elements(HTMLParser):
    """Start tags and attributes as a browser reads them, to look for injected markup."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_text_from_drafts_and_feeds_is_escaped(config: Config) -> None:
    title = '<script>alert(1)</script> & co "x" onerror="alert(2)'
    issue = small_issue(title=title, image_url="https://a.fr/i.jpg", location="<b>")
    rendered = render_issue(issue, config)
    elements = _Elements(rendered.html).tags
    assert "script" not in {tag for tag, _ in elements}
    assert not [attrs for _, attrs in elements if any(a.startswith("on") for a in attrs)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in rendered.html  # the <h3>
    # In the image's alt, as mjml-python writes it: unescaped but inside its quotes.
    alts = [attrs["alt"] for tag, attrs in elements if tag == "img"]
    assert alts == ["<script>alert(1)</script> & co “x” onerror=”alert(2)"]
    assert title in rendered.text  # plain text is not HTML: shown as typed
    assert rendered.meta["sections"][0]["items"][0]["title"] == title


def test_markdown_summary_is_rendered_and_sanitized(config: Config) -> None:
    summary = (
        "Un **résumé** avec [un lien](https://www.fcpts.org/x).\n\n"
        "<script>alert(2)</script><img src=x onerror=alert(3)>"
        '<a href="javascript:alert(4)">piège</a> <p onclick="alert(5)">fin</p>'
    )
    rendered = render_issue(small_issue(summary=summary), config)
    html = rendered.html
    assert "<strong>résumé</strong>" in html
    assert 'href="https://www.fcpts.org/x"' in html
    for bad in ("alert(2)", "onerror", "javascript:", "onclick", 'src="x"'):
        assert bad not in html
    assert "piège" in html and "fin" in html
    assert "Un résumé avec un lien (https://www.fcpts.org/x)." in rendered.text
    assert not TAG.search(rendered.text)


def test_links_in_summaries_take_the_edition_colour(config: Config) -> None:
    html = render_issue(small_issue("flash", summary="[lien](https://a.fr/)"), config).html
    assert '<a style="color:#c0392b;" href="https://a.fr/" rel="noopener noreferrer">' in html


def test_text_part_reads_on_its_own(config: Config) -> None:
    issue = full_issue(config, "bimestrielle")
    text = render_issue(issue, config).text
    lines = text.splitlines()
    assert "À la une\n========\n" in text
    assert "Agenda\n======\n" in text
    for article in issue.articles:
        assert article.title in lines
        assert article.link in lines  # the URL on its own line
    assert "Quand : mercredi 9 décembre 2026, 9h → jeudi 10 décembre 2026, 17h" in lines
    assert "Journées Nationales des CPTS · Cité des congrès, Nantes" in lines
    assert "- un calendrier resserré, avec une première échéance au 31 janvier\u00a0;" in lines
    assert "Chères adhérentes, chers adhérents," in lines
    footer = text[text.index("\n--\n") :]
    for expected in (
        config.federation.postal_address,
        "http://127.0.0.1:8080/archives/bimestrielle/12",
        "[[preferences_url]]",
        "[[unsubscribe_url]]",
    ):
        assert expected in footer
    assert not TAG.search(text)
    assert "\n\n\n" not in text and text.endswith("\n")


def test_write_rendered_and_issue_json(config: Config, tmp_path: Path) -> None:
    issue = full_issue(config, "bimestrielle")
    rendered = render_issue(issue, config)
    paths = write_rendered(rendered, tmp_path / "out")
    assert [p.name for p in paths] == ["issue.html", "issue.txt", "issue.json"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    assert paths[0].read_text(encoding="utf-8") == rendered.html
    assert paths[1].read_text(encoding="utf-8") == rendered.text
    raw = paths[2].read_text(encoding="utf-8")
    assert "À la une" in raw and '\n  "edition"' in raw  # UTF-8, not \u escapes; indented
    meta = json.loads(raw)
    assert meta == rendered.meta
    assert meta["edition"] == "bimestrielle"
    assert meta["edition_name"] == "La lettre de la FCPTS"
    assert meta["number"] == 12
    assert meta["subject"] == issue.subject and meta["preheader"] == issue.preheader
    assert meta["issue_date"] == "2026-11-04"
    assert meta["period_start"] == "2026-09-04T00:00:00+02:00"
    assert meta["period_end"] == "2026-11-04T08:00:00+01:00"
    assert meta["web_url"] == "http://127.0.0.1:8080/archives/bimestrielle/12"
    assert meta["html_bytes"] == len(rendered.html.encode())
    assert [s["key"] for s in meta["sections"]] == config.editions["bimestrielle"].sections
    first = meta["sections"][0]["items"][0]
    assert first == {
        "title": issue.articles[0].title,
        "link": issue.articles[0].link,
        "image": issue.articles[0].image_url,
    }
    assert sum(len(s["items"]) for s in meta["sections"]) == 12


def test_empty_sections_and_editorial_are_left_out(config: Config) -> None:
    issue = small_issue()
    issue.sections.append(IssueSection("agenda", "Agenda", agenda=True))
    rendered = render_issue(issue, config)
    assert "Agenda" not in rendered.html and "Agenda" not in rendered.text
    assert [s["key"] for s in rendered.meta["sections"]] == ["une"]


def test_too_big_for_gmail_says_how_much_to_cut(config: Config) -> None:
    long_summary = "Un paragraphe assez long sur la vie des CPTS et leurs projets. " * 40
    issue = small_issue(summary=long_summary, image_url="https://a.fr/i.jpg")
    issue.sections[0].articles *= 40
    with pytest.raises(RenderError) as error:
        render_issue(issue, config)
    found = re.search(
        r"fait ([\d,]+) Ko de HTML : au-delà de 102 Ko, Gmail .* Retirez au moins ([\d,]+) Ko, "
        r"soit environ (\d+) articles sur 40 \(un article y pèse en moyenne ([\d,]+) Ko\)",
        str(error.value),
    )
    assert found, str(error.value)
    size, cut, count, average = (float(g.replace(",", ".")) for g in found.groups())
    assert size > 102 and size - cut <= 102
    assert count == pytest.approx(cut / average, abs=1)
    # Cutting that many articles is enough.
    del issue.sections[0].articles[int(count) :]
    assert len(render_issue(issue, config).html.encode()) <= GMAIL_CLIP_BYTES


def test_relative_link_is_refused_and_named(config: Config) -> None:
    with pytest.raises(RenderError, match="lien non absolu « /actualites/x »"):
        render_issue(small_issue(link="/actualites/x"), config)
    with pytest.raises(RenderError, match=r"lien non absolu « \.\./doc\.pdf »"):
        render_issue(small_issue(summary="Voir [le document](../doc.pdf)."), config)


def test_images_need_alt_text_and_an_absolute_address(config: Config) -> None:
    html = render_issue(small_issue(image_url="https://a.fr/i.jpg", image_alt=""), config).html
    assert 'alt="Un article"' in html  # the title stands in for a missing description
    with pytest.raises(RenderError, match=r"image à l'adresse non absolue « images/i\.jpg »"):
        render_issue(small_issue(image_url="images/i.jpg", image_alt="Une image"), config)


def test_web_version_fills_the_placeholders(config: Config) -> None:
    html = fill_for_web(render_issue(small_issue(), config).html, config)
    assert "[[" not in html
    assert "Bonjour," in html
    assert html.count('href="http://127.0.0.1:8080/abonnement"') == 2


def test_edition_colours_are_dark_enough_for_white_text(config: Config) -> None:
    for edition in config.editions.values():
        assert contrast_ratio(edition.colour, "#ffffff") >= MIN_CONTRAST, edition.colour


def test_light_edition_colour_is_refused(config: Config) -> None:
    light = Edition(name="Pâle", colour="#f5d76e", sections=["une"], list="pale")
    config.editions["pale"] = light
    expected = r"#f5d76e .* trop claire .*contraste 1,4:1, il faut au moins 4,5:1"
    with pytest.raises(RenderError, match=expected):
        render_issue(small_issue("pale"), config)


def test_unknown_edition_is_a_render_error(config: Config) -> None:
    with pytest.raises(RenderError, match="édition inconnue 'hebdo'"):
        render_issue(small_issue("hebdo"), config)


def test_agenda_entry_shows_when_and_where(config: Config) -> None:
    issue = small_issue(
        event_start=datetime(2026, 11, 4, 9, tzinfo=PARIS),
        event_end=datetime(2026, 11, 5, 17, tzinfo=PARIS),
        location="Maison de la santé, Lyon",
        kind="Étape du Tour de France",
    )
    issue.sections[0] = replace(issue.sections[0], key="agenda", title="Agenda", agenda=True)
    rendered = render_issue(issue, config)
    when = "mercredi 4 novembre 2026, 9h → jeudi 5 novembre 2026, 17h"
    assert when in rendered.html and f"Quand : {when}" in rendered.text
    where = "Étape du Tour de France · Maison de la santé, Lyon"
    assert where in rendered.html and where in rendered.text
    assert "Détails et inscription" in rendered.html and "Lire la suite" not in rendered.html


def test_article_date_in_french(config: Config) -> None:
    rendered = render_issue(small_issue(published=date(2026, 10, 1)), config)
    assert "1er octobre 2026" in rendered.html and "1er octobre 2026" in rendered.text


def test_markdown_to_text_spells_out_links_and_lists() -> None:
    text = markdown_to_text(
        "Voir <https://a.fr/> et [le site](https://b.fr/).\n\n1. un\n2. deux\n\n> cité"
    )
    assert text == "Voir https://a.fr/ et le site (https://b.fr/).\n\n1. un\n2. deux\n\n> cité"


def test_content_cannot_pose_as_a_placeholder(config: Config) -> None:
    clean = render_issue(small_issue(), config)
    forged = render_issue(
        small_issue(
            title="Cliquez [[unsubscribe_url]]",
            summary="Votre lien : [[preferences_url]] et [[first_name]]",
            image_url=f"{SITE}/img/[[unsubscribe_url]].jpg",
            image_alt="[[first_name]]",
        ),
        config,
    )
    for placeholder in PLACEHOLDERS.values():
        assert forged.html.count(placeholder) == clean.html.count(placeholder), placeholder
        assert forged.text.count(placeholder) == clean.text.count(placeholder), placeholder
    assert "Cliquez [\u2060[unsubscribe_url]]" in forged.html
