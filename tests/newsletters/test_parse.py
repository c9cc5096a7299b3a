"""Reading feed documents: fields, lead images, agenda data, dates, and reported problems."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsletters.fetch import pull_feeds
from newsletters.model import FeedItem
from newsletters.parse import ParsedFeed, parse_feed

DATA = Path(__file__).parent / "data"
PARIS = ZoneInfo("Europe/Paris")


def parse(name: str, base_url: str | None = "https://flux.fcpts.org/rss.xml") -> ParsedFeed:
    return parse_feed((DATA / name).read_bytes(), base_url=base_url, local_tz=PARIS)


def by_identity(parsed: ParsedFeed) -> dict[str, FeedItem]:
    return {item.identity: item for item in parsed.items}


@pytest.fixture(scope="module")
def rss2() -> ParsedFeed:
    return parse("rss2.xml")


def test_rss2_items_fields_are_plain_text_sanitized_and_dated(rss2: ParsedFeed) -> None:
    assert rss2.title == "Actualités de la FCPTS"
    item = by_identity(rss2)["fcpts-actu-101"]
    assert item.title == "Assises nationales des CPTS : les inscriptions sont ouvertes"
    assert item.link == "https://www.fcpts.org/actualites/assises-2026"
    assert item.author == "Équipe FCPTS"
    assert item.categories == ["Actualités", "Vie des CPTS"]  # trimmed, as given
    assert item.published_at == datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    assert "<script" not in item.content_html and "alert" not in item.content_html
    assert (
        'href="https://www.fcpts.org/inscriptions" rel="noopener noreferrer"' in item.summary_html
    )


def test_title_markup_is_stripped_and_entities_decoded(rss2: ParsedFeed) -> None:
    assert by_identity(rss2)["fcpts-actu-102"].title == "Le rapport annuel & ses annexes"


def test_relative_urls_become_absolute_against_item_link_then_feed_url(rss2: ParsedFeed) -> None:
    first = by_identity(rss2)["fcpts-actu-101"]
    assert 'src="https://www.fcpts.org/actualites/images/salle.jpg"' in first.content_html
    guide = by_identity(rss2)["fcpts-guide-12"]
    # The item's own link is relative: resolved against the feed's URL.
    assert guide.link == "https://flux.fcpts.org/ressources/guide-creation"
    assert 'href="https://flux.fcpts.org/ressources/guide.pdf"' in guide.content_html


def test_relative_urls_of_a_local_file_resolve_against_the_feed_site_link() -> None:
    guide = by_identity(parse("rss2.xml", base_url=None))["fcpts-guide-12"]
    assert guide.link == "https://www.fcpts.org/ressources/guide-creation"


@pytest.mark.parametrize(
    ("identity", "image_url", "image_alt"),
    [
        # 1. an image enclosure wins over media:content, thumbnail and <img>
        ("fcpts-actu-101", "https://www.fcpts.org/media/assises.jpg", "Affiche des Assises 2026"),
        # 2. media:content of an image type (an audio enclosure does not count), alt = title
        (
            "fcpts-podcast-7",
            "https://www.fcpts.org/media/parcours.png",
            "Podcast : la coordination des parcours",
        ),
        # 3. media:thumbnail when media:content is a video
        (
            "fcpts-video-3",
            "https://www.fcpts.org/media/premiere-annee.jpg",
            "Vidéo : trois CPTS racontent leur première année",
        ),
        # 4. the first <img> of the content, with its alt text
        (
            "fcpts-guide-12",
            "https://flux.fcpts.org/ressources/couverture.png",
            "Couverture du guide",
        ),
        # none at all
        ("fcpts-agenda-44", None, None),
    ],
)
def test_lead_image_selection(
    rss2: ParsedFeed, identity: str, image_url: str | None, image_alt: str | None
) -> None:
    item = by_identity(rss2)[identity]
    assert (item.image_url, item.image_alt) == (image_url, image_alt)


def test_agenda_fields(rss2: ParsedFeed) -> None:
    event = by_identity(rss2)["fcpts-agenda-44"]
    assert event.event_start == datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)
    assert event.event_end == datetime(2026, 12, 3, 17, 30, tzinfo=PARIS)
    assert event.event_start.utcoffset() is not None
    assert event.event_location == "Maison de la Chimie, Paris"
    assert event.published_at is None  # kept without a date


def test_problems_are_reported_and_good_items_kept(rss2: ParsedFeed) -> None:
    assert [i.identity for i in rss2.items] == [
        "fcpts-actu-101",
        "fcpts-podcast-7",
        "fcpts-video-3",
        "fcpts-guide-12",
        "fcpts-agenda-44",
        "fcpts-actu-102",
    ]
    reasons = {(p.item, p.reason) for p in rss2.problems}
    assert ("élément n° 6", "ni titre ni lien : ignoré") in reasons
    rapport = "élément n° 7 « Le rapport annuel & ses annexes »"
    assert (
        rapport,
        "date illisible (publication : « mardi prochain ») : gardé sans cette date",
    ) in reasons
    assert any(item == rapport and "bientôt" in reason for item, reason in reasons)
    assert any(
        item == "élément n° 8 « Assises nationales (doublon) »" and "n° 1" in reason
        for item, reason in reasons
    )
    assert len(rss2.problems) == 4
    # The duplicate did not replace the first occurrence.
    assert by_identity(rss2)["fcpts-actu-101"].link.endswith("/assises-2026")


def test_atom_1_0() -> None:
    parsed = parse("atom.xml")
    bilan, statuts = parsed.items
    assert parsed.problems == []
    assert bilan.identity == "urn:uuid:3d3c4f5e-0000-4000-8000-fcpts0000002"
    assert bilan.title == "Santé & territoires : le bilan"
    assert bilan.link == "https://www.fcpts.org/blog/2026/11/bilan"  # xml:base
    assert bilan.published_at == datetime(2026, 11, 5, 7, 0, tzinfo=UTC)  # published, not updated
    assert bilan.author == "Marie Dupont"
    assert bilan.categories == ["Plaidoyer", "Politique de santé"]
    assert bilan.summary_html == "Deux ans après : ce qui a changé &lt; ce qui reste à faire."
    assert 'href="https://www.fcpts.org/blog/annexes"' in bilan.content_html
    assert bilan.image_url == "https://www.fcpts.org/blog/img/carte.png"
    assert statuts.published_at == datetime(2026, 10, 20, 10, 0, tzinfo=UTC)  # updated only


def test_atom_0_3() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Ancien Atom</title>
  <link rel="alternate" type="text/html" href="https://www.fcpts.org/"/>
  <modified>2026-11-01T10:00:00Z</modified>
  <entry>
    <title>Entr\xc3\xa9e Atom 0.3</title>
    <link rel="alternate" type="text/html" href="https://www.fcpts.org/a03"/>
    <id>tag:fcpts.org,2026:a03</id>
    <issued>2026-11-01T09:00:00Z</issued>
    <modified>2026-11-01T10:00:00Z</modified>
  </entry>
</feed>"""
    (item,) = parse_feed(body, local_tz=PARIS).items
    assert (item.identity, item.title, item.link) == (
        "tag:fcpts.org,2026:a03",
        "Entrée Atom 0.3",
        "https://www.fcpts.org/a03",
    )
    assert item.published_at == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_rss_1_0_with_dublin_core() -> None:
    parsed = parse("rss10.xml")
    decret, arrete = parsed.items
    assert decret.identity == "https://www.fcpts.org/veille/decret-2026-101"
    assert decret.published_at == datetime(2026, 11, 3, 7, 45, tzinfo=UTC)
    assert decret.categories == ["Juridique"]
    # A bare date is midnight in the hub's time zone.
    assert arrete.published_at == datetime(2026, 10, 28, 0, 0, tzinfo=PARIS)


def test_rss_0_91() -> None:
    body = b"""<?xml version="1.0"?>
<rss version="0.91"><channel><title>Vieux flux</title><link>https://www.fcpts.org/</link>
<description>RSS 0.91</description><language>fr</language>
<item><title>Un article</title><link>https://www.fcpts.org/091</link>
<description>Texte court.</description></item></channel></rss>"""
    parsed = parse_feed(body, local_tz=PARIS)
    assert [(i.identity, i.title) for i in parsed.items] == [
        ("https://www.fcpts.org/091", "Un article")
    ]


def test_broken_xml_keeps_every_readable_item_and_reports_the_rest() -> None:
    parsed = parse("broken.xml")
    assert [i.identity for i in parsed.items] == ["abime-1", "abime-2", "abime-3"]
    feed_level = [p.reason for p in parsed.problems if p.item is None]
    assert len(feed_level) == 1 and feed_level[0].startswith("XML mal formé ligne 14")
    assert ("élément n° 3", "ni titre ni lien : ignoré") in parsed.problems
    # ISO dates are read strictly: month 13 is not January of the next year.
    assert by_identity(parsed)["abime-3"].published_at is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<!doctype html><html><body><h1>Bienvenue</h1></body></html>", "text/html"),
        (b'{"items": []}', "application/json"),
        (b"", "application/rss+xml"),
    ],
)
def test_not_a_feed_is_an_error(body: bytes, content_type: str) -> None:
    parsed = parse_feed(body, content_type=content_type, local_tz=PARIS)
    assert parsed.items == []
    assert parsed.error is not None and parsed.error.startswith("le document n'est pas un flux")


@pytest.mark.parametrize("encoding", [b"utf\xa48", b"ut\x00f-8"])
def test_documents_feedparser_cannot_read_are_an_error(encoding: bytes) -> None:
    """feedparser itself raises on these garbled encoding names (found by fuzzing)."""
    body = (
        (DATA / "rss10.xml").read_bytes().replace(b'encoding="utf-8"', b'encoding="%s"' % encoding)
    )
    parsed = parse_feed(body, local_tz=PARIS)
    assert parsed.items == []
    assert parsed.error is not None and parsed.error.startswith("document illisible (feedparser")


def test_dates_out_of_range_are_reported_not_raised() -> None:
    body = b"""<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel>
<title>t</title><item><title>Hors limites</title><link>https://www.fcpts.org/x</link>
<pubDate>Fri, 31 Dec 9999 23:59:59 -2300</pubDate>
<ev:startdate>0001-01-01T00:00:00+14:00</ev:startdate></item></channel></rss>"""
    parsed = parse_feed(body, local_tz=PARIS)
    (item,) = parsed.items
    assert (item.published_at, item.event_start) == (None, None)
    assert [p.reason.split(" : ")[0] for p in parsed.problems] == [
        "date illisible (publication",
        "date illisible (début de l'événement",
    ]


def test_identity_falls_back_to_link_then_to_a_content_hash() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title><link>https://www.fcpts.org/</link>
<item><title>Avec lien</title><link>https://www.fcpts.org/lien</link></item>
<item><title>Sans lien ni guid</title><description>Texte.</description></item>
</channel></rss>"""
    with_link, bare = parse_feed(body, local_tz=PARIS).items
    assert with_link.identity == "https://www.fcpts.org/lien"
    assert bare.identity.startswith("sha256:")
    assert parse_feed(body, local_tz=PARIS).items[1].identity == bare.identity  # stable


def test_untitled_item_with_a_link_is_kept_and_reported() -> None:
    body = """<rss version="2.0"><channel><title>t</title>
<item><link>https://www.fcpts.org/sans-titre</link>
<description>&lt;p&gt;La fédération publique son rapport.&lt;/p&gt;</description></item>
</channel></rss>""".encode()
    parsed = parse_feed(body, local_tz=PARIS)
    assert parsed.items[0].title == "La fédération publique son rapport."
    assert parsed.problems[0].reason.startswith("sans titre")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Compte rendu : les membres de la CPTS du territoire ont adopté, à l'unanimité, "
            "le projet de santé pour 2027.",
            "Compte rendu : les membres de la CPTS du territoire ont adopté, à…",
        ),
        ("x" * 120, "x" * 79 + "…"),
    ],
)
def test_a_title_taken_from_long_text_is_cut_like_other_shortened_text(
    text: str, title: str
) -> None:
    """At most 80 characters, ellipsis included, and no punctuation left dangling before it."""
    body = f"""<rss version="2.0"><channel><title>t</title>
<item><link>https://www.fcpts.org/long</link><description>{text}</description></item>
</channel></rss>""".encode()
    (item,) = parse_feed(body, local_tz=PARIS).items
    assert item.title == title


@pytest.mark.parametrize("function", [parse_feed, pull_feeds])
def test_the_local_time_zone_must_be_given(function: Callable[..., object]) -> None:
    """No default: a caller that forgets it would read undated times in the wrong zone."""
    parameter = inspect.signature(function).parameters["local_tz"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is inspect.Parameter.empty


def test_media_description_does_not_replace_the_summary() -> None:
    body = """<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>
<item><title>Photo</title><link>https://www.fcpts.org/photo</link>
<media:description>Légende de la photo</media:description>
<description>Le vrai résumé.</description>
<media:content url="https://www.fcpts.org/p.jpg" medium="image"/></item>
</channel></rss>""".encode()
    (item,) = parse_feed(body, local_tz=PARIS).items
    assert item.summary_html == "Le vrai résumé."
    assert item.image_alt == "Légende de la photo"
