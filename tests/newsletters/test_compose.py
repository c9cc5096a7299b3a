"""Composition from stored feed items: numbering, windows, sections, agenda."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.config import Config, FeedSource
from hub.db import Database
from newsletters import archive
from newsletters.compose import ComposeError, _months_before, compose_issue, html_to_summary
from newsletters.fetch import pull_configured
from newsletters.markup import markdown_to_html, markdown_to_text

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


def _item(guid: str, title: str, when: datetime, categories: list[str], event: str = "") -> str:
    cats = "".join(f"<category>{c}</category>" for c in categories)
    return (
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://www.fcpts.org/{guid}/</link>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S %z')}</pubDate>{cats}"
        f"<description>&lt;p&gt;Résumé de {title}.&lt;/p&gt;</description>{event}</item>"
    )


def _event(start: datetime) -> str:
    end = start + timedelta(hours=1)
    return (
        f"<ev:startdate>{start.isoformat()}</ev:startdate>"
        f"<ev:enddate>{end.isoformat()}</ev:enddate><ev:location>En ligne</ev:location>"
    )


async def _pull(db: Database, config: Config, tmp_path: Path, items: list[str]) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>T</title>'
        f"<link>https://www.fcpts.org/</link>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    report = await pull_configured(db, config, [FeedSource("test", str(path))])
    assert report.any_read, report.to_json()


async def test_sections_take_each_item_once_in_order(
    db: Database, config: Config, tmp_path: Path
) -> None:
    day = timedelta(days=1)
    await _pull(
        db,
        config,
        tmp_path,
        [
            _item("a", "Actu ancienne", NOW - 20 * day, ["Actualités"]),
            _item("b", "Actu récente", NOW - 2 * day, ["actualités", "Plaidoyer"]),
            _item("c", "Plaidoyer", NOW - 3 * day, ["Plaidoyer"]),
            _item("d", "Trop vieux", NOW - 90 * day, ["Actualités"]),
            _item("e", "Hors rubrique", NOW - 1 * day, ["Juridique"]),
            _item("f", "Événement passé", NOW - 5 * day, ["Agenda"], _event(NOW - 2 * day)),
            _item("g", "Événement lointain", NOW - 5 * day, ["Agenda"], _event(NOW + 60 * day)),
            _item("h", "Événement proche", NOW - 40 * day, ["Agenda"], _event(NOW + 3 * day)),
        ],
    )
    issue = await compose_issue(db, config, "bimestrielle", now=NOW)

    assert issue.number == config.editions["bimestrielle"].first_number
    assert issue.period_start == _months_before(NOW, 2)
    assert [(s.key, [a.title for a in s.articles]) for s in issue.sections] == [
        ("une", ["Actu récente", "Actu ancienne"]),
        ("plaidoyer", ["Plaidoyer"]),
        ("agenda", ["Événement proche", "Événement lointain"]),
    ]
    assert issue.subject == "La lettre de la FCPTS n°1 : Actu récente"
    assert issue.articles[0].summary == "Résumé de Actu récente."
    agenda = issue.sections[-1].articles[0]
    assert agenda.event_start == NOW + 3 * day
    assert agenda.location == "En ligne"


async def test_numbering_and_window_continue_from_the_last_issue(
    db: Database, config: Config, tmp_path: Path
) -> None:
    day = timedelta(days=1)
    await _pull(
        db,
        config,
        tmp_path,
        [
            _item("x", "Avant", NOW - 10 * day, ["Juridique"]),
            _item("y", "Après", NOW + 2 * day, ["Juridique"]),
        ],
    )
    first = await compose_issue(db, config, "condense", now=NOW)
    assert (first.number, [a.title for a in first.articles]) == (1, ["Avant"])
    await archive.save_issue(db, first, "<html></html>", "texte", {})

    later = NOW + 5 * day
    second = await compose_issue(db, config, "condense", now=later)
    assert second.number == 2
    assert second.period_start == NOW
    assert [a.title for a in second.articles] == ["Après"]

    with pytest.raises(ComposeError, match="--since"):
        await compose_issue(db, config, "essentiel", now=later)
    widened = await compose_issue(db, config, "condense", now=later, since=NOW - 30 * day)
    assert [a.title for a in widened.articles] == ["Après", "Avant"]


async def test_max_items_per_section(db: Database, config: Config, tmp_path: Path) -> None:
    items = [
        _item(f"j{i}", f"Veille {i}", NOW - timedelta(hours=i + 1), ["Juridique"]) for i in range(9)
    ]
    await _pull(db, config, tmp_path, items)
    issue = await compose_issue(db, config, "condense", now=NOW)
    limit = config.sections["veille_juridique"].max_items
    assert [a.title for a in issue.articles] == [f"Veille {i}" for i in range(limit)]


def test_summary_is_plain_text_cut_on_a_word() -> None:
    html = "<p>Premier <b>paragraphe</b>.</p><p># pas un titre</p>" + "<p>" + "mot " * 200 + "</p>"
    summary = html_to_summary(html, limit=80)
    assert summary.startswith("Premier paragraphe.\n\n\\# pas un titre\n\nmot mot")
    assert summary.endswith("mot…")
    assert len(summary) <= 82


def test_summary_of_feed_text_stays_text_in_the_issue() -> None:
    html = "<p>Balise &lt;iframe&gt; citée, *pas* d'emphase.</p><p>1986. Une année.</p>"
    summary = html_to_summary(html)
    assert markdown_to_text(summary).split("\n\n") == [
        "Balise <iframe> citée, *pas* d'emphase.",
        "1986. Une année.",
    ]
    assert "<iframe" not in markdown_to_html(summary)


def test_months_before_clamps_to_the_end_of_month() -> None:
    assert _months_before(datetime(2026, 3, 31, tzinfo=PARIS), 1) == datetime(
        2026, 2, 28, tzinfo=PARIS
    )
    assert _months_before(datetime(2026, 1, 15, tzinfo=PARIS), 2) == datetime(
        2025, 11, 15, tzinfo=PARIS
    )
