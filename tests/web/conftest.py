"""Web fixtures: a small archive of issues, an HTTP client, and a live server for the browser."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.config import Config
from hub.db import Database
from hub.web.app import create_app
from hub.web.preview import create_preview_app
from newsletters.archive import save_issue
from newsletters.model import Issue

PARIS = ZoneInfo("Europe/Paris")
LONG_SUBJECT = (
    "Accès aux soins : ce que l'avenant conventionnel change pour les CPTS, "
    "leurs professionnels et leurs missions de santé publique"
)
# A tiny picture inline, so pages with images need no network.
PICTURE = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='552' height='180'%3E"
    "%3Crect width='100%25' height='100%25' fill='%23d6e4f5'/%3E%3C/svg%3E"
)


def email_html(subject: str) -> str:
    """A complete e-mail document, as the renderer stores it, with per-recipient placeholders."""
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{subject}</title>
<style>
  body {{ margin: 0; background: #eef1f5; color: #1b1f24; font: 16px/1.5 Arial, sans-serif; }}
  .container {{ max-width: 600px; margin: 0 auto; background: #fff; }}
  .band {{ background: #1d4f91; color: #fff; padding: 20px 24px; font-size: 20px; }}
  .content {{ padding: 24px; }}
  img {{ max-width: 100%; height: auto; }}
  a {{ color: #1d4f91; }}
</style>
</head>
<body>
<div class="container">
  <div class="band">La lettre de la FCPTS</div>
  <div class="content">
    <p>Bonjour[[first_name]],</p>
    <h1 style="font-size: 22px">{subject}</h1>
    <img src="{PICTURE}" alt="Des professionnels de santé réunis en CPTS" width="552">
    <p>Les CPTS poursuivent leur déploiement sur tout le territoire.</p>
    <p><a href="[[preferences_url]]">Gérer mes abonnements</a> ·
       <a href="[[unsubscribe_url]]">Se désabonner</a></p>
  </div>
</div>
</body>
</html>
"""


def email_text(subject: str) -> str:
    return f"Bonjour[[first_name]],\n\n{subject}\n\nSe désabonner : [[unsubscribe_url]]\n"


# (edition, number, subject, issue date). Pages show the issue's date, as its e-mail does.
ISSUES = [
    ("bimestrielle", 1, "La rentrée des CPTS", date(2026, 9, 30)),
    ("bimestrielle", 2, LONG_SUBJECT, date(2026, 12, 1)),
    ("flash", 3, "Alerte : campagne de vaccination", date(2026, 10, 15)),
]


# The key a members-only issue's e-mail link carries (the flash edition is members-only).
FLASH_KEY = "cle-du-flash-3-Xq8v"


async def seed_archive(db: Database) -> None:
    for edition, number, subject, issue_date in ISSUES:
        issue = Issue(
            edition=edition,
            number=number,
            subject=subject,
            preheader="L'actualité de la fédération",
            issue_date=issue_date,
            period_end=datetime.combine(issue_date, time(9), PARIS),
        )
        key = FLASH_KEY if edition == "flash" else None
        await save_issue(
            db, issue, email_html(subject), email_text(subject), {"articles": 1}, access_key=key
        )


@pytest.fixture
def draft() -> tuple[str, str, str]:
    """(html, text, title) of a draft as rendered; the title has characters to escape."""
    title = "Flash n° 4 : <urgent> & important"
    return email_html(title), email_text(title), title


@pytest.fixture
async def archive_db(db: Database) -> Database:
    await seed_archive(db)
    return db


@pytest.fixture
async def client(config: Config, archive_db: Database) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(config))) as test_client:
        yield test_client


@contextmanager
def serving(
    app: web.Application, prepare: Callable[[], Awaitable[None]] | None = None
) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) from a thread with its own event loop, so sync
    Playwright tests can browse it (its loop stays running in the main thread); run `prepare`
    there first; yield the base URL, then stop the app and the loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-server", daemon=True)
    thread.start()
    runner = web.AppRunner(app)

    async def start() -> str:
        if prepare is not None:
            await prepare()
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def live_server(config: Config) -> Iterator[str]:
    """The archive app, live, over the issues of `ISSUES`."""

    async def seed() -> None:
        async with await Database.open(config.database_path) as db:
            await seed_archive(db)

    with serving(create_app(config), seed) as url:
        yield url


@pytest.fixture
def live_preview(config: Config, draft: tuple[str, str, str]) -> Iterator[str]:
    """The preview app of `draft`, live."""
    with serving(create_preview_app(config, *draft)) as url:
        yield url
