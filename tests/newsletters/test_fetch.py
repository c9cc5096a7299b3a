"""Pulling feeds from a real HTTP server on 127.0.0.1 into a real SQLite file."""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.config import FeedSource
from hub.db import Database
from newsletters import store
from newsletters.fetch import PullReport, pull_feeds
from newsletters.store import items_published_between, list_items

DATA = Path(__file__).parent / "data"
PARIS = ZoneInfo("Europe/Paris")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FeedServer:
    """An HTTP server whose routes each test sets, recording the requests it receives."""

    server: TestServer
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        """Serve `body` at `path`, answering 304 to a matching conditional request."""

        async def handler(request: web.Request) -> web.Response:
            validators = {"ETag": etag, "Last-Modified": last_modified}
            headers = {k: v for k, v in validators.items() if v}
            if (etag and request.headers.get("If-None-Match") == etag) or (
                not etag
                and last_modified
                and request.headers.get("If-Modified-Since") == last_modified
            ):
                return web.Response(status=304, headers=headers)
            return web.Response(body=body, headers={"Content-Type": content_type, **headers})

        self.routes[path] = handler
        return self.url(path)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


@pytest.fixture
async def http() -> AsyncIterator[FeedServer]:
    app = web.Application()
    feed_server = FeedServer(TestServer(app, host="127.0.0.1"))

    async def dispatch(request: web.Request) -> web.StreamResponse:
        feed_server.requests.append((request.path, dict(request.headers)))
        handler = feed_server.routes.get(request.path)
        if handler is None:
            raise web.HTTPNotFound()
        return await handler(request)

    app.router.add_route("GET", "/{tail:.*}", dispatch)
    await feed_server.server.start_server()
    yield feed_server
    await feed_server.server.close()


def feed(*items: str, title: str = "Flux de test") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://www.fcpts.org/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def item(guid: str, title: str, *, body: str = "Texte.", date: str | None = None) -> str:
    pub = f"<pubDate>{date}</pubDate>" if date else ""
    return (
        f"<item><title>{title}</title><link>https://www.fcpts.org/a/{guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid>{pub}<category>Actualités</category>'
        f"<description>{body}</description></item>"
    )


async def pull(db: Database, *sources: tuple[str, str], timeout: float = 5.0) -> PullReport:
    return await pull_feeds(
        db,
        [FeedSource(name, url) for name, url in sources],
        timeout=timeout,
        max_bytes=1_000_000,
        local_tz=PARIS,
    )


async def rows(db: Database) -> list[dict[str, Any]]:
    async with db.conn.execute("SELECT * FROM items ORDER BY id") as cursor:
        return [dict(r) for r in await cursor.fetchall()]


async def feed_row(db: Database, name: str) -> dict[str, Any]:
    async with db.conn.execute("SELECT * FROM feeds WHERE name = ?", (name,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return dict(row)


async def test_first_pull_stores_items_and_etag_makes_the_next_one_free(
    db: Database, http: FeedServer
) -> None:
    url = http.serve(
        "/rss.xml", feed(item("a", "Un"), item("b", "Deux")), etag='"v1"', last_modified=None
    )
    first = await pull(db, ("fcpts", url))
    assert first.feeds[0].status == "ok"
    assert (first.feeds[0].new, first.feeds[0].updated, first.feeds[0].unchanged) == (2, 0, 0)
    stored = await rows(db)
    before = await feed_row(db, "fcpts")
    assert before["etag"] == '"v1"' and before["title"] == "Flux de test"

    second = await pull(db, ("fcpts", url))
    result = second.feeds[0]
    assert result.status == "not-modified"
    assert (result.new, result.updated, result.unchanged, result.problems) == (0, 0, 0, [])
    assert http.requests_to("/rss.xml")[1]["If-None-Match"] == '"v1"'
    assert await rows(db) == stored
    after = await feed_row(db, "fcpts")
    assert after["last_status"] == "not-modified" and after["etag"] == '"v1"'
    assert after["title"] == before["title"]


async def test_last_modified_makes_the_next_pull_free(db: Database, http: FeedServer) -> None:
    stamp = "Mon, 02 Nov 2026 08:00:00 GMT"
    url = http.serve("/atom", (DATA / "atom.xml").read_bytes(), last_modified=stamp)
    assert (await pull(db, ("blog", url))).feeds[0].new == 2
    stored = await rows(db)
    second = await pull(db, ("blog", url))
    assert second.feeds[0].status == "not-modified"
    assert http.requests_to("/atom")[1]["If-Modified-Since"] == stamp
    assert "If-None-Match" not in http.requests_to("/atom")[1]
    assert await rows(db) == stored


async def test_validators_are_not_sent_to_a_new_url_for_the_same_name(
    db: Database, http: FeedServer
) -> None:
    first = http.serve("/v1", feed(item("a", "Un")), etag='"x"')
    second = http.serve("/v2", feed(item("a", "Un")), etag='"x"')
    await pull(db, ("fcpts", first))
    report = await pull(db, ("fcpts", second))
    assert report.feeds[0].status == "ok" and report.feeds[0].unchanged == 1
    assert "If-None-Match" not in http.requests_to("/v2")[0]


async def test_redirects_are_followed_and_relative_links_use_the_final_url(
    db: Database, http: FeedServer
) -> None:
    body = feed(
        '<item><title>Relatif</title><link>/actualites/relatif</link><guid isPermaLink="false">r'
        '</guid><description>&lt;a href="suite.html"&gt;suite&lt;/a&gt;</description></item>'
    )
    http.serve("/final/rss.xml", body)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(http.url("/step"))

    async def found(request: web.Request) -> web.Response:
        raise web.HTTPFound("/final/rss.xml")

    http.routes["/old"] = moved
    http.routes["/step"] = found
    report = await pull(db, ("fcpts", http.url("/old")))
    assert report.feeds[0].status == "ok", report.feeds[0].error
    (stored,) = await rows(db)
    assert stored["link"] == http.url("/actualites/relatif")
    assert f'href="{http.url("/actualites/suite.html")}"' in stored["summary_html"]


async def test_redirect_loops_are_bounded(db: Database, http: FeedServer) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    http.routes["/loop"] = loop
    report = await pull(db, ("boucle", http.url("/loop")))
    assert report.feeds[0].status == "error"
    assert report.feeds[0].error == "trop de redirections (5 de suite)"
    assert len(http.requests_to("/loop")) == 5


async def test_unreachable_feeds_are_reported_and_the_others_pulled(
    db: Database, http: FeedServer
) -> None:
    good = http.serve("/ok", feed(item("a", "Un")))

    async def fail(request: web.Request) -> web.Response:
        raise web.HTTPInternalServerError()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(body=feed(item("s", "Lent")))

    http.routes["/500"] = fail
    http.routes["/slow"] = slow
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/rss.xml"
    started = time.perf_counter()
    report = await pull(
        db,
        ("lent", http.url("/slow")),
        ("absent", http.url("/404")),
        ("panne", http.url("/500")),
        ("ferme", refused),
        ("dns", "http://flux.invalid/rss.xml"),
        (
            "pas-un-flux",
            http.serve("/page", b"<html><body>Bonjour</body></html>", content_type="text/html"),
        ),
        ("vide", http.serve("/vide", b"")),
        ("bon", good),
        timeout=0.5,
    )
    assert time.perf_counter() - started < 2.5
    results = {f.name: f for f in report.feeds}
    assert results["bon"].status == "ok" and results["bon"].new == 1
    assert report.any_read
    errors = {name: f.error for name, f in results.items() if f.status == "error"}
    assert errors["lent"] == "pas de réponse complète en 0.5 s (délai dépassé)"
    assert errors["absent"] == "réponse HTTP 404 Not Found"
    assert errors["panne"] == "réponse HTTP 500 Internal Server Error"
    assert errors["ferme"] is not None and errors["ferme"].startswith("connexion impossible")
    assert errors["dns"] == "nom de domaine introuvable : flux.invalid"
    assert errors["pas-un-flux"] is not None
    assert errors["pas-un-flux"].startswith("le document n'est pas un flux RSS ou Atom")
    assert errors["vide"] == "le document n'est pas un flux RSS ou Atom"
    assert len(errors) == 7
    state = await feed_row(db, "panne")
    assert (state["last_status"], state["last_error"]) == ("error", errors["panne"])
    assert [r["identity"] for r in await rows(db)] == ["a"]


async def test_invalid_urls_are_reported_and_the_others_pulled(
    db: Database, http: FeedServer
) -> None:
    report = await pull(
        db,
        ("points", "http://a..b/rss"),  # an empty label: the resolver cannot encode it
        ("long", f"https://{'x' * 64}.fcpts.org/rss"),  # a label over 63 characters
        ("crochet", "http://[flux/rss"),
        ("bon", http.serve("/ok", feed(item("a", "Un")))),
    )
    assert [(f.name, f.status, f.error) for f in report.feeds] == [
        ("points", "error", "URL invalide : nom d'hôte incorrect « a..b »"),
        ("long", "error", f"URL invalide : nom d'hôte incorrect « {'x' * 64}.fcpts.org »"),
        ("crochet", "error", "URL invalide : http://[flux/rss"),
        ("bon", "ok", None),
    ]
    assert [r["identity"] for r in await rows(db)] == ["a"]
    assert (await feed_row(db, "points"))["last_error"] == report.feeds[0].error


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://a..b/rss", "redirection vers une URL invalide : nom d'hôte incorrect"),
        ("http://[flux/rss", "redirection vers une URL invalide : http://[flux/rss"),
        (
            "ftp://www.fcpts.org/rss",
            "redirection refusée vers une URL non http(s) : ftp://www.fcpts.org/rss",
        ),
    ],
)
async def test_redirects_to_invalid_urls_are_reported(
    db: Database, http: FeedServer, location: str, error: str
) -> None:
    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": location})

    http.routes["/moved"] = moved
    report = await pull(db, ("parti", http.url("/moved")))
    assert report.feeds[0].error == error


async def test_an_unexpected_error_in_one_feed_does_not_stop_the_others(
    db: Database,
    http: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    save_feed = store.save_feed

    async def buggy(db: Database, name: str, *args: Any, **kwargs: Any) -> store.SaveCounts:
        if name == "bogue":
            raise RuntimeError("bogue de test")
        return await save_feed(db, name, *args, **kwargs)

    monkeypatch.setattr(store, "save_feed", buggy)
    report = await pull(
        db,
        ("bogue", http.serve("/bogue", feed(item("b", "Bogue")))),
        ("bon", http.serve("/ok", feed(item("a", "Un")))),
    )
    assert [(f.status, f.error) for f in report.feeds] == [
        ("error", "erreur inattendue : RuntimeError('bogue de test')"),
        ("ok", None),
    ]
    assert [r["identity"] for r in await rows(db)] == ["a"]
    assert (await feed_row(db, "bogue"))["last_status"] == "error"
    (crash,) = [r for r in caplog.records if r.message == "feed pull crashed"]
    assert crash.levelno == logging.ERROR and crash.exc_info is not None


async def test_a_pull_where_every_feed_fails_reads_nothing(db: Database, http: FeedServer) -> None:
    report = await pull(db, ("absent", http.url("/nulle-part")), ("fichier", "/nulle/part.xml"))
    assert not report.any_read
    assert [f.error for f in report.feeds] == [
        "réponse HTTP 404 Not Found",
        "fichier introuvable : /nulle/part.xml",
    ]
    assert report.to_json()["any_read"] is False


async def test_gzip_bodies_are_decoded(db: Database, http: FeedServer) -> None:
    async def compressed(request: web.Request) -> web.Response:
        assert "gzip" in request.headers.get("Accept-Encoding", "")
        return web.Response(
            body=gzip.compress(feed(item("z", "Compressé"))),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )

    http.routes["/gz"] = compressed
    report = await pull(db, ("gz", http.url("/gz")))
    assert report.feeds[0].status == "ok", report.feeds[0].error
    assert [r["title"] for r in await rows(db)] == ["Compressé"]


@pytest.mark.parametrize(
    ("prolog", "content_type"),
    [
        ('<?xml version="1.0"?>', "application/rss+xml; charset=ISO-8859-1"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "application/xml"),
    ],
)
async def test_declared_iso_8859_1_encoding(
    db: Database, http: FeedServer, prolog: str, content_type: str
) -> None:
    text = (
        f'{prolog}<rss version="2.0"><channel><title>Fédération</title><link>https://www.fcpts.org/</link>'
        "<description>d</description><item><title>Journée d'été à Besançon : ça démarre</title>"
        "<link>https://www.fcpts.org/ete</link><category>Santé publique</category></item>"
        "</channel></rss>"
    )
    url = http.serve("/latin1", text.encode("iso-8859-1"), content_type=content_type)
    report = await pull(db, ("latin", url))
    assert report.feeds[0].status == "ok"
    (stored,) = await rows(db)
    assert stored["title"] == "Journée d'été à Besançon : ça démarre"
    assert stored["categories"] == '["Santé publique"]'


async def test_bodies_over_the_size_cap_are_refused(db: Database, http: FeedServer) -> None:
    big = feed(*(item(str(i), f"Élément {i}", body="x" * 1000) for i in range(50)))
    declared = http.serve("/declared", big)

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(big), 4096):
            await response.write(big[start : start + 4096])
        await response.write_eof()
        return response

    http.routes["/streamed"] = streamed
    report = await pull_feeds(
        db,
        [FeedSource("declared", declared), FeedSource("streamed", http.url("/streamed"))],
        timeout=5,
        max_bytes=20_000,
        local_tz=PARIS,
    )
    assert [f.error for f in report.feeds] == ["flux trop volumineux (plus de 20 000 octets)"] * 2
    assert await rows(db) == []


async def test_broken_xml_keeps_good_items_and_reports_problems(
    db: Database, http: FeedServer
) -> None:
    report = await pull(db, ("abime", http.serve("/broken", (DATA / "broken.xml").read_bytes())))
    result = report.feeds[0]
    assert result.status == "ok" and result.new == 3
    assert result.problems[0].item is None and result.problems[0].reason.startswith("XML mal formé")
    assert ("élément n° 3", "ni titre ni lien : ignoré") in result.problems
    assert result.to_json()["problems"][1] == {
        "item": "élément n° 3",
        "reason": "ni titre ni lien : ignoré",
    }


async def test_duplicate_guids_within_a_feed_and_across_pulls(
    db: Database, http: FeedServer
) -> None:
    url = http.serve(
        "/dup", feed(item("same", "Premier"), item("same", "Second"), item("other", "Autre"))
    )
    first = (await pull(db, ("dup", url))).feeds[0]
    assert (first.new, len(first.problems)) == (2, 1)
    again = (await pull(db, ("dup", url))).feeds[0]  # no validators: a full GET and parse
    assert (again.status, again.new, again.updated, again.unchanged) == ("ok", 0, 0, 2)
    assert [(r["identity"], r["title"]) for r in await rows(db)] == [
        ("same", "Premier"),
        ("other", "Autre"),
    ]


async def test_items_without_a_date_are_kept_and_listed_by_first_seen(
    db: Database, http: FeedServer
) -> None:
    url = http.serve(
        "/dates",
        feed(
            item("dated", "Daté", date="Mon, 02 Nov 2026 09:00:00 +0100"),
            item("undated", "Sans date"),
            item("garbled", "Date illisible", date="le 2 novembre"),
        ),
    )
    result = (await pull(db, ("dates", url))).feeds[0]
    assert result.new == 3
    assert [p.reason for p in result.problems] == [
        "date illisible (publication : « le 2 novembre ») : gardé sans cette date"
    ]
    stored = {i.identity: i for i in await list_items(db)}
    assert stored["dated"].published_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert stored["undated"].published_at is None
    assert stored["undated"].date == stored["undated"].first_seen_at
    now = datetime.now(UTC)
    recent = await items_published_between(
        db, now - timedelta(minutes=5), now + timedelta(seconds=1)
    )
    assert {i.identity for i in recent} == {"undated", "garbled"}


async def test_an_item_changed_at_the_source_is_updated_in_place(
    db: Database, http: FeedServer
) -> None:
    http.serve("/maj", feed(item("a", "Un", body="Version 1"), item("b", "Deux")))
    await pull(db, ("maj", http.url("/maj")))
    await db.conn.execute("UPDATE items SET updated_at = '2000-01-01T00:00:00+00:00'")
    before = {r["identity"]: r for r in await rows(db)}

    http.serve("/maj", feed(item("a", "Un", body="Version 2"), item("b", "Deux")))
    result = (await pull(db, ("maj", http.url("/maj")))).feeds[0]
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    after = {r["identity"]: r for r in await rows(db)}
    assert after["a"]["id"] == before["a"]["id"]
    assert after["a"]["summary_html"] == "Version 2"
    assert after["a"]["updated_at"] > "2000-01-01T00:00:00+00:00"
    assert after["a"]["first_seen_at"] == before["a"]["first_seen_at"]
    assert after["b"] == before["b"]  # unchanged: not rewritten


async def test_a_pull_never_loses_stored_items(db: Database, http: FeedServer) -> None:
    http.serve("/f", feed(item("old", "Ancien"), item("kept", "Gardé")))
    await pull(db, ("f", http.url("/f")))
    http.serve("/f", feed(item("kept", "Gardé"), item("new", "Nouveau")))
    result = (await pull(db, ("f", http.url("/f")))).feeds[0]
    assert (result.new, result.unchanged) == (1, 1)
    assert sorted(r["identity"] for r in await rows(db)) == ["kept", "new", "old"]
    http.routes.pop("/f")  # the feed disappears altogether
    assert (await pull(db, ("f", http.url("/f")))).feeds[0].status == "error"
    assert len(await rows(db)) == 3


async def test_rss2_with_images_and_agenda_end_to_end(db: Database, http: FeedServer) -> None:
    url = http.serve("/rss2", (DATA / "rss2.xml").read_bytes())
    result = (await pull(db, ("fcpts", url))).feeds[0]
    assert (result.new, len(result.problems)) == (6, 4)
    stored = {i.identity: i for i in await list_items(db)}
    assert stored["fcpts-actu-101"].image_url == "https://www.fcpts.org/media/assises.jpg"
    assert stored["fcpts-guide-12"].image_url == http.url("/ressources/couverture.png")
    # The feed's event fields are kept as the feed gives them (`hub feed list` shows them); the
    # newsletters' agenda comes from the events table, not from them.
    events = [i for i in stored.values() if i.event_start]
    assert [(e.title, e.event_location) for e in events] == [
        ("Webinaire : l'exercice coordonné et les CPTS", "Maison de la Chimie, Paris")
    ]
    assert events[0].event_start == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert events[0].event_end == datetime(2026, 12, 3, 16, 30, tzinfo=UTC)


async def test_atom_and_rss_1_0_feeds_end_to_end(db: Database, http: FeedServer) -> None:
    report = await pull(
        db,
        (
            "blog",
            http.serve(
                "/atom", (DATA / "atom.xml").read_bytes(), content_type="application/atom+xml"
            ),
        ),
        (
            "veille",
            http.serve(
                "/rdf", (DATA / "rss10.xml").read_bytes(), content_type="application/rdf+xml"
            ),
        ),
    )
    assert [(f.status, f.new, f.problems) for f in report.feeds] == [("ok", 2, []), ("ok", 2, [])]
    titles = [(i.feed_name, i.title) for i in await list_items(db)]
    assert titles == [
        ("blog", "Santé & territoires : le bilan"),
        ("veille", "Décret n° 2026-101 relatif aux CPTS"),
        ("veille", "Arrêté portant approbation de l'avenant à l'ACI"),
        ("blog", "Mise à jour des statuts"),
    ]


async def test_local_files_are_pulled_too(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "flux.xml"
    path.write_bytes(feed(item("f", "Fichier")))
    report = await pull(db, ("fichier", str(path)), ("url-fichier", path.as_uri()))
    assert [(f.status, f.new) for f in report.feeds] == [("ok", 1), ("ok", 1)]


async def test_unreadable_files_are_reported_in_french(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "verrouille.xml"
    locked.write_bytes(feed(item("v", "Verrouillé")))
    path_open = Path.open

    def open_denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        """What a file the hub's user may not read does (tests may well run as root)."""
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return path_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_denied)
    report = await pull(
        db,
        ("dossier", str(tmp_path)),
        ("verrou", str(locked)),
        ("nul", "file:///flux%00.xml"),
    )
    assert [f.error for f in report.feeds] == [
        f"c'est un dossier, pas un fichier : {tmp_path}",
        f"accès refusé au fichier : {locked}",
        "chemin de fichier invalide : file:///flux%00.xml",
    ]


async def test_store_queries(db: Database, http: FeedServer) -> None:
    def dated(guid: str, category: str, date: str) -> str:
        return (
            f"<item><title>{guid}</title><link>https://www.fcpts.org/{guid}</link>"
            f"<category>{category}</category><pubDate>{date}</pubDate></item>"
        )

    await pull(
        db,
        (
            "q",
            http.serve(
                "/q",
                feed(
                    dated("oct", "Actualités", "Sat, 31 Oct 2026 23:30:00 +0000"),
                    dated("nov1", "ACTUALITÉS", "Sun, 01 Nov 2026 10:00:00 +0100"),
                    dated("nov2", "Juridique", "Mon, 02 Nov 2026 10:00:00 +0100"),
                ),
            ),
        ),
    )
    assert [i.title for i in await list_items(db)] == ["nov2", "nov1", "oct"]
    assert [i.title for i in await list_items(db, category="actualités")] == ["nov1", "oct"]
    assert [i.title for i in await list_items(db, category="Actu")] == []  # whole terms only
    assert [i.title for i in await list_items(db, limit=1)] == ["nov2"]
    since = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)
    assert [i.title for i in await list_items(db, since=since)] == ["nov2", "nov1"]
    # (start, end]: an item exactly at `end` is in, one exactly at `start` is out.
    end = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    start = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert [i.title for i in await items_published_between(db, start, end)] == ["nov2", "nov1"]
    assert [i.title for i in await items_published_between(db, None, end)] == [
        "nov2",
        "nov1",
        "oct",
    ]


async def test_one_log_line_per_feed(
    db: Database, http: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub.feeds")
    await pull(db, ("bon", http.serve("/bon", feed(item("a", "Un")))), ("absent", http.url("/x")))
    records = {r.feed: r for r in caplog.records if r.name == "hub.feeds"}  # type: ignore[attr-defined]
    assert len(records) == 2
    assert (records["bon"].status, records["bon"].new, records["bon"].levelno) == (
        "ok",
        1,
        logging.INFO,
    )  # type: ignore[attr-defined]
    assert records["absent"].error == "réponse HTTP 404 Not Found"  # type: ignore[attr-defined]
    assert records["absent"].levelno == logging.WARNING


async def test_parsing_does_not_block_the_event_loop(db: Database, http: FeedServer) -> None:
    """A big feed takes a while to parse; meanwhile the loop keeps running other tasks."""
    paragraph = "<p>La CPTS du territoire a réuni ses membres autour de l'accès aux soins.</p>" * 3
    big = feed(
        *(item(f"g{i}", f"Article n° {i}", body=f"<![CDATA[{paragraph}]]>") for i in range(3000))
    )
    url = http.serve("/big", big)
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - started - 0.01)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    result = (
        await pull_feeds(
            db, [FeedSource("big", url)], timeout=30, max_bytes=50_000_000, local_tz=PARIS
        )
    ).feeds[0]
    elapsed = time.perf_counter() - started
    task.cancel()
    assert result.new == 3000
    assert elapsed > 0.3  # long enough for a blocked loop to show
    # Run on the loop, parsing would stall it for most of the pull (about 3/4 when measured);
    # in a thread it only shares the GIL, so the loop gets a turn every few milliseconds.
    assert max(lags) < elapsed / 4, (max(lags), elapsed)
    assert len(lags) > elapsed / 0.05
