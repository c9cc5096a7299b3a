"""The archive application over real HTTP on loopback, on a real temporary SQLite database."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.config import Config
from hub.db import Database
from hub.web import SERVICES_KEY
from hub.web.app import BackgroundContext, create_app
from newsletters.draft import write_draft
from newsletters.pipeline import publish_draft
from newsletters.render import fill_for_web
from tests.newsletters.factories import full_issue
from tests.web.conftest import FLASH_KEY


async def test_index_shows_every_edition_with_its_latest_issue(client: TestClient) -> None:
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert '<html lang="fr">' in page
    for name, description, colour in [
        ("La lettre de la FCPTS", "La newsletter bimestrielle", "#1d4f91"),
        ("Flash FCPTS", "L&#39;information importante", "#c0392b"),
        ("Le Condensé de la Fédé", "La veille juridique", "#6c3483"),
        ("L&#39;Essentiel, c&#39;est de le savoir !", "Protection des données", "#117a65"),
    ]:
        assert name in page
        assert description in page
        assert colour in page
    assert "Accès aux soins : ce que l&#39;avenant" in page
    assert "La rentrée des CPTS" not in page  # only the latest issue of each edition
    assert 'href="/archives/bimestrielle/2"' in page
    assert "N° 2 du 1er décembre 2026" in page
    assert "Alerte : campagne de vaccination" in page
    assert 'href="/archives/flash/3' not in page  # members only: no public link
    assert page.count("Aucun numéro paru pour l'instant.") == 2
    assert 'href="/archives/#condense"' in page


async def test_archives_list_issues_by_edition_newest_first(client: TestClient) -> None:
    response = await client.get("/archives/")
    assert response.status == 200
    page = await response.text()
    second = page.index('href="/archives/bimestrielle/2"')
    first = page.index('href="/archives/bimestrielle/1"')
    flash = page.index("Alerte : campagne de vaccination")
    assert 'href="/archives/flash/3' not in page
    assert second < first < flash  # editions in configuration order, newest issue first
    assert "N° 2 du 1er décembre 2026" in page
    assert "N° 1 du 30 septembre 2026" in page
    assert "N° 3 du 15 octobre 2026" in page
    assert "La rentrée des CPTS" in page
    assert 'href="/archives/bimestrielle/1.txt"' in page
    assert 'id="essentiel"' in page  # every edition has an anchor, even without issues


async def test_issue_page_is_the_stored_document_for_the_web(client: TestClient) -> None:
    response = await client.get("/archives/bimestrielle/2")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    page = await response.text()
    assert page.startswith("<!doctype html>")
    assert "[[" not in page and "]]" not in page
    assert "<p>Bonjour,</p>" in page
    assert "Se désabonner" in page
    assert "Aller au contenu" not in page  # served as it is: nothing of the site's layout


async def test_issue_text_version_has_its_placeholders_filled_too(client: TestClient) -> None:
    response = await client.get(f"/archives/flash/3.txt?cle={FLASH_KEY}")
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert response.charset == "utf-8"
    text = await response.text()
    assert text.startswith("Bonjour,\n\nAlerte : campagne de vaccination\n")
    assert "[[" not in text


@pytest.mark.parametrize("suffix", ["", ".txt"])
async def test_members_only_issues_open_only_with_their_key(
    client: TestClient, suffix: str
) -> None:
    for query in ("", "?cle=", "?cle=devine", f"?cle={FLASH_KEY}x", "?cle=%C3%A9"):
        refused = await client.get(f"/archives/flash/3{suffix}{query}")
        assert refused.status == 403
        page = await refused.text()
        assert "<h1>Numéro réservé aux adhérents</h1>" in page
        assert "Alerte" not in page
    opened = await client.get(f"/archives/flash/3{suffix}?cle={FLASH_KEY}")
    assert opened.status == 200
    assert "Alerte : campagne de vaccination" in await opened.text()


@pytest.mark.parametrize(
    "path",
    [
        "/archives/inconnue/1",
        "/archives/inconnue/1.txt",
        "/archives/bimestrielle/99",
        "/archives/bimestrielle/0",
        "/archives/bimestrielle/99.txt",
        "/archives/bimestrielle/abc",
        "/archives/bimestrielle/-1",
        "/archives/bimestrielle/1.5",
        "/archives/bimestrielle/99999999999999999999999",
        "/nulle-part",
    ],
)
async def test_unknown_addresses_are_french_404_pages(client: TestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert response.content_type == "text/html"
    page = await response.text()
    assert '<html lang="fr">' in page
    assert "<h1>Page introuvable</h1>" in page
    assert 'href="/archives/"' in page  # same layout as the other pages
    assert "Traceback" not in page


async def test_missing_trailing_slash_redirects(client: TestClient) -> None:
    response = await client.get("/archives", allow_redirects=False)
    assert response.status == 308
    assert response.headers["Location"] == "/archives/"


async def test_wrong_method_is_a_french_page_that_says_what_is_allowed(
    client: TestClient,
) -> None:
    response = await client.post("/archives/")
    assert response.status == 405
    assert "GET" in response.headers["Allow"]
    assert "<h1>Action impossible</h1>" in await response.text()


@pytest.mark.parametrize(
    "path", ["/", "/archives/", "/archives/bimestrielle/2", "/archives/flash/3.txt", "/nulle-part"]
)
async def test_security_headers(client: TestClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy  # hence no script of any origin
    assert "script-src" not in policy
    assert "style-src 'unsafe-inline'" in policy
    assert "frame-ancestors 'none'" in policy


async def test_healthz(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_reports_a_failing_database(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    await client.app[SERVICES_KEY].db.close()
    response = await client.get("/healthz")
    assert response.status == 503
    assert await response.json() == {"status": "error", "database": "error"}
    assert any(r.name == "hub.web" and r.levelno == logging.ERROR for r in caplog.records)


async def test_request_failure_is_logged_and_shown_as_a_french_page(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    app = create_app(config)
    app.router.add_get("/casse", broken)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/casse")
        page = await response.text()
    assert response.status == 500
    assert "<h1>Erreur du serveur</h1>" in page
    assert "boom" not in page and "Traceback" not in page
    [record] = [r for r in caplog.records if r.name == "hub.web"]
    assert record.getMessage() == "request failed"
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])


async def test_background_contexts_start_and_stop_with_the_app(config: Config) -> None:
    events: list[str] = []

    def recorder(name: str) -> BackgroundContext:
        async def context(app: web.Application) -> AsyncIterator[None]:
            # The database is open before background services start.
            await _query(app[SERVICES_KEY].db)
            events.append(f"{name} started")
            yield
            await _query(app[SERVICES_KEY].db)  # and still open while they stop
            events.append(f"{name} stopped")

        return context

    app = create_app(config, background=[recorder("scheduler"), recorder("bot")])
    async with TestClient(TestServer(app)) as client:
        assert events == ["scheduler started", "bot started"]
        assert (await client.get("/healthz")).status == 200
    assert events == ["scheduler started", "bot started", "bot stopped", "scheduler stopped"]


async def _query(db: Database) -> None:
    async with db.conn.execute("SELECT 1") as cursor:
        assert await cursor.fetchone() is not None


async def test_a_really_rendered_issue_is_served_for_the_web(
    config: Config, db: Database, tmp_path: Path
) -> None:
    draft = tmp_path / "bimestrielle.md"
    draft.write_text(write_draft(full_issue(config, "bimestrielle", number=7)), encoding="utf-8")
    published = await publish_draft(db, config, draft, tmp_path / "out")
    async with TestClient(TestServer(create_app(config))) as client:
        page = await (await client.get("/archives/bimestrielle/7")).text()
        text = await (await client.get("/archives/bimestrielle/7.txt")).text()
    assert page == fill_for_web(published.files[0].read_text(encoding="utf-8"), config)
    assert "[[" not in page and "[[" not in text
    assert f'href="{config.web.base_url}/abonnement"' in page
    titles = [a.title for a in full_issue(config, "bimestrielle").articles]
    assert all(title in html.unescape(page) for title in titles)
    assert all(title in text for title in titles)
