"""Composition: numbering, windows and sections from stored feed items; the agenda from the
events table."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.config import Config, FeedSource
from hub.db import Database
from hub.events.service import Events, NewEvent
from hub.timeutil import add_months
from newsletters import archive
from newsletters.compose import NoArticles, compose_issue, html_to_summary
from newsletters.fetch import pull_configured
from newsletters.markup import markdown_to_html, markdown_to_text
from newsletters.model import Issue
from newsletters.render import render_issue

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
            # The feed's own agenda items no longer make the agenda: the events table does.
            _item("h", "Événement du flux", NOW - 4 * day, ["Agenda"], _event(NOW + 3 * day)),
        ],
    )
    issue = await compose_issue(db, config, "bimestrielle", now=NOW)

    assert issue.number == config.editions["bimestrielle"].first_number
    assert issue.period_start == add_months(NOW, -2)
    assert [(s.key, [a.title for a in s.articles]) for s in issue.sections] == [
        ("une", ["Actu récente", "Actu ancienne"]),
        ("plaidoyer", ["Plaidoyer"]),
    ]
    assert issue.subject == "La lettre de la FCPTS n°1 : Actu récente"
    assert issue.articles[0].summary == "Résumé de Actu récente."


async def _news(db: Database, config: Config, tmp_path: Path) -> None:
    """One news item for each edition with an agenda, which needs news to be composed."""
    await _pull(
        db,
        config,
        tmp_path,
        [_item("n", "Actu", NOW - timedelta(days=1), ["Actualités", "Urgent"])],
    )


async def _create(
    events: Events,
    title: str,
    kind: str,
    start: datetime,
    *,
    publish: bool = True,
    **fields: object,
) -> str:
    event = await events.create(
        NewEvent(
            title=title,
            kind=kind,
            starts_at=start,
            ends_at=start + timedelta(hours=1, minutes=30),
            publish=publish,
            **fields,  # type: ignore[arg-type]
        )
    )
    return event.slug


def _agenda(issue: Issue) -> list[str]:
    return [a.title for s in issue.sections if s.agenda for a in s.articles]


VIDEO = "https://visio.example.org/secret-fcpts"


async def test_agenda_of_a_public_edition_lists_its_public_events_until_the_next_issue(
    db: Database, config: Config, tmp_path: Path
) -> None:
    await _news(db, config, tmp_path)
    events = Events(db, config)
    day = timedelta(days=1)
    at = NOW.replace(hour=12, minute=30)
    jn = await _create(
        events,
        "Journées Nationales",
        "journees-nationales",
        at + 10 * day,
        venue="Palais 2 l'Atlantique",
        address="Bordeaux",
    )
    webinar = await _create(
        events,
        "Webinaire ouvert",
        "webinaire-partenaires",
        at + 3 * day,
        audience="public",
        video_url=VIDEO,
    )
    await _create(events, "Réunion flash", "reunion-flash", at + 5 * day, video_url=VIDEO)
    await _create(
        events, "Brouillon", "journees-nationales", at + 6 * day, publish=False, venue="Lyon"
    )
    await _create(events, "Déjà passé", "journees-nationales", at - 2 * day, venue="Lyon")
    await _create(events, "Trop loin", "journees-nationales", at + 70 * day, venue="Lyon")
    cancelled = await _create(events, "Annulé", "journees-nationales", at + 4 * day, venue="Lyon")
    await events.cancel(cancelled)

    issue = await compose_issue(db, config, "bimestrielle", now=NOW)
    assert _agenda(issue) == ["Webinaire ouvert", "Journées Nationales"]
    agenda = next(s for s in issue.sections if s.agenda)
    assert (agenda.key, agenda.title) == ("agenda", "Agenda")
    online, in_person = agenda.articles
    base = config.web.base_url.rstrip("/")
    assert online.link == f"{base}/evenements/{webinar}"
    assert in_person.link == f"{base}/evenements/{jn}"
    assert online.location == "En ligne"
    assert in_person.location == "Palais 2 l'Atlantique, Bordeaux"
    assert online.kind == config.event_kind("webinaire-partenaires").name
    assert in_person.kind == "Journées Nationales des CPTS"
    assert online.event_start == at + 3 * day
    assert online.event_start.tzinfo == PARIS
    # Published in the issue: French dates in Paris time, the event's page, never the video link.
    rendered = render_issue(issue, config)
    when = "jeudi 26 novembre 2026, 12h30 → 14h"
    assert when in rendered.html and f"Quand : {when}" in rendered.text
    assert f"{base}/evenements/{webinar}" in rendered.html
    assert f"{base}/evenements/{jn}" in rendered.text.splitlines()
    assert "Journées Nationales des CPTS · Palais 2 l'Atlantique, Bordeaux" in rendered.text
    assert "Webinaire des partenaires · En ligne" in rendered.html
    for part in (rendered.html, rendered.text):
        assert VIDEO not in part and "visio.example.org" not in part
        for left_out in ("Réunion flash", "Brouillon", "Déjà passé", "Trop loin", "Annulé"):
            assert left_out not in part


async def test_agenda_of_a_members_edition_lists_every_event_its_members_may_attend(
    db: Database, config: Config, tmp_path: Path
) -> None:
    await _news(db, config, tmp_path)
    events = Events(db, config)
    day = timedelta(days=1)
    await _create(events, "Séminaire", "seminaire-coordinateurs", NOW + 9 * day, venue="Paris")
    await _create(events, "Collectif des élus", "rdv-elus", NOW + 2 * day, video_url=VIDEO)
    await _create(events, "Ouvert à tous", "journees-nationales", NOW + 5 * day, venue="Lyon")
    await _create(events, "Café", "cafe-presentation", NOW + 1 * day)
    await _create(events, "Après le prochain flash", "rdv-cpts", NOW + 40 * day)
    cancelled = await _create(events, "Flash annulée", "reunion-flash", NOW + 3 * day)
    await events.cancel(cancelled)

    flash = await compose_issue(db, config, "flash", now=NOW)
    assert config.editions["flash"].members_only
    assert _agenda(flash) == ["Café", "Collectif des élus", "Ouvert à tous", "Séminaire"]
    summaries = {a.title: a.summary for a in flash.articles}
    # Members read who each event is for: not every member may join every one.
    assert summaries["Collectif des élus"].endswith("Réservé au Collectif des élus.")
    assert summaries["Café"].endswith("Réservé aux adhérents.")
    assert "Réservé" not in summaries["Ouvert à tous"]
    assert summaries["Café"].startswith(config.event_kind("cafe-presentation").description[:20])

    public = await compose_issue(db, config, "bimestrielle", now=NOW)
    assert _agenda(public) == ["Ouvert à tous"]


async def test_agenda_keeps_the_sections_limit_and_leaves_the_section_out_when_empty(
    db: Database, config: Config, tmp_path: Path
) -> None:
    await _news(db, config, tmp_path)
    assert not any(s.agenda for s in (await compose_issue(db, config, "flash", now=NOW)).sections)
    events = Events(db, config)
    limit = config.sections["agenda"].max_items
    for i in range(limit + 2):
        await _create(events, f"Rendez-vous {i}", "rdv-cpts", NOW + timedelta(days=limit + 2 - i))
    issue = await compose_issue(db, config, "flash", now=NOW)
    assert _agenda(issue) == [f"Rendez-vous {i}" for i in range(limit + 1, 1, -1)]


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

    with pytest.raises(NoArticles) as nothing:
        await compose_issue(db, config, "essentiel", now=later)
    assert f"« {nothing.value.edition_name} » publié depuis le {nothing.value.since}" in str(
        nothing.value
    )
    assert "--" not in str(nothing.value) and "hub " not in str(nothing.value)  # the CLI's hint
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
