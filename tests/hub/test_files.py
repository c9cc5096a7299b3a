"""The data folder is private: folders the hub makes 0700, its files 0600, under any umask.

Each test runs under a permissive umask (0o022, the usual default), so a mode that only the
umask would have narrowed shows up as 0755 or 0644."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import Config
from hub.db import Database
from hub.keys import LOCAL_KEY_FILE, secret_key
from hub.mail import Content, Recipient
from hub.mail.factory import outbox_folder
from hub.mail.outbox import OutboxMessenger
from newsletters.render import RenderedIssue, write_rendered


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_and_its_folder_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "donnees" / "var"
    db = await Database.open(data_dir / "hub.sqlite3")
    try:
        async with db.transaction():  # a write: the -wal and -shm files exist now
            await db.conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'https://x.org/')")
        files = {p.name: mode(p) for p in data_dir.iterdir()}
    finally:
        await db.close()
    assert mode(data_dir) == 0o700
    assert files == {"hub.sqlite3": 0o600, "hub.sqlite3-wal": 0o600, "hub.sqlite3-shm": 0o600}


def test_the_local_secret_key_is_private(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    assert config.mail.backend == "outbox"
    secret_key(config)
    assert mode(config.data_dir) == 0o700
    assert mode(config.data_dir / LOCAL_KEY_FILE) == 0o600


async def test_outbox_messages_and_their_folders_are_private(config: Config) -> None:
    content = Content(
        subject="Confirmez votre inscription",
        html="<p>Bonjour[[first_name]], confirmez.</p>",
        text="Bonjour[[first_name]], confirmez.",
        category="transactionnel",
        list_unsubscribe=False,
    )
    messenger = OutboxMessenger(config, outbox_folder(config))
    await messenger.send(content, [Recipient("lea@cpts-exemple.fr", "Léa")])
    await messenger.send(dataclasses.replace(content, campaign_id=7), [Recipient("a@b.fr")])
    folders = [config.data_dir, outbox_folder(config), *outbox_folder(config).iterdir()]
    assert {f.name: mode(f) for f in folders} == {
        "var": 0o700,
        "outbox": 0o700,
        "transactionnel": 0o700,
        "7": 0o700,
    }
    messages = list(outbox_folder(config).rglob("*.eml"))
    assert len(messages) == 2
    assert [mode(m) for m in messages] == [0o600, 0o600]


def test_rendered_issues_folders_are_private(config: Config) -> None:
    out = config.issues_dir / "bimestrielle" / "3"
    write_rendered(RenderedIssue("<p>x</p>", "x", {"number": 3}), out)
    assert [mode(f) for f in (config.data_dir, config.issues_dir, out.parent, out)] == [0o700] * 4


def test_an_existing_folder_keeps_the_mode_it_was_given(tmp_path: Path) -> None:
    shared = tmp_path / "partage"
    shared.mkdir(mode=0o750)
    from hub.files import private_dir

    private_dir(shared / "brouillons")
    assert mode(shared) == 0o750
    assert mode(shared / "brouillons") == 0o700
