"""What every page shares (`hub.web.pages`): here, the answer to a database kept busy."""

from __future__ import annotations

import sqlite3

import pytest
from aiohttp.test_utils import TestClient, TestServer

import hub.busy
import hub.db
from hub.config import Config
from hub.db import Database
from hub.web.app import create_app
from hub.web.pages import RETRY_AFTER_SECONDS
from hub.web.subscriptions import HONEYPOT


async def test_a_busy_database_answers_a_french_503_with_retry_after_and_writes_nothing(
    config: Config, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short waits, so that "busy past our patience" comes in a fraction of a second.
    monkeypatch.setattr(hub.db, "BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(hub.busy, "BUSY_PATIENCE_S", 0.2)
    form = {
        "email": "marie.curie@cpts-exemple.fr",
        "prenom": "Marie",
        "listes": "bimestrielle",
        "consentement": "oui",
        HONEYPOT: "",
    }
    async with TestClient(TestServer(create_app(config))) as client:
        # Another process holds the write lock for as long as the request lasts.
        other = sqlite3.connect(config.database_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            response = await client.post("/abonnement", data=form)
            body = await response.read()
        finally:
            other.execute("ROLLBACK")
            other.close()

    assert response.status == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<title>Service momentanément surchargé".encode() in body
    assert "Réessayez dans quelques instants".encode() in body
    assert b"Erreur du serveur" not in body and b"Traceback" not in body
    async with db.conn.execute("SELECT COUNT(*) FROM subscribers") as cursor:
        assert tuple(await cursor.fetchone() or ()) == (0,)
