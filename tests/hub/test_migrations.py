"""Migrations run on databases made by earlier versions of the hub, with their rows: 0005 gives
people ids that are never given again, and each a token nonce, keeping everything else."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from hub import db as hub_db
from hub.db import Database, StorageError, migrations, split_statements

NOW = "2026-11-02T09:00:00+00:00"


def database_at(path: Path, version: int) -> None:
    """A database as the hub left it at schema `version`."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "CREATE TABLE schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for number, name, sql in migrations()[:version]:
            for statement in split_statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", (number, name, NOW))
        conn.commit()


def person(conn: sqlite3.Connection, n: int, **fields: Any) -> None:
    values = {
        "id": n,
        "email": f"personne{n}@cpts-exemple.fr",
        "email_hash": f"hash{n}",
        "first_name": f"Prénom{n}",
        "organisation": "CPTS du Val",
        "role": "salarie",
        "member": 1,
        "created_at": NOW,
        "updated_at": NOW,
    } | fields
    conn.execute(
        f"INSERT INTO subscribers ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        tuple(values.values()),
    )


def fill_at_0004(path: Path) -> None:
    """People 1, 2, 3 and 6; 4 was erased; 5, the newest, was erased too; a send log row still
    names 9, whose person went while foreign keys were off (a row of long ago)."""
    database_at(path, 4)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        for n in (1, 2, 3, 4, 5, 6):
            person(conn, n)
        conn.execute(
            "INSERT INTO subscriptions VALUES (1, 'bimestrielle', 'confirmed', ?, ?, ?)",
            (NOW, NOW, NOW),
        )
        conn.execute(
            "INSERT INTO subscriptions VALUES (6, 'bimestrielle', 'pending', ?, NULL, ?)",
            (NOW, NOW),
        )
        conn.execute(
            "INSERT INTO consents (subscriber_id, list, action, source, recorded_at) "
            "VALUES (1, 'bimestrielle', 'subscribe', 'web', ?)",
            (NOW,),
        )
        conn.execute(
            "INSERT INTO events (slug, title, kind, starts_at, ends_at, mode, audience, waitlist,"
            " ics_uid, created_at, updated_at) VALUES ('jn', 'JN', 'journees-nationales', ?, ?,"
            " 'in-person', 'public', 'auto', 'uid-1', ?, ?)",
            (NOW, NOW, NOW, NOW),
        )
        conn.execute(
            "INSERT INTO registrations (event_id, subscriber_id, status, source, created_at,"
            " updated_at) VALUES (1, 3, 'confirmed', 'web', ?, ?)",
            (NOW, NOW),
        )
        conn.execute(
            "INSERT INTO campaigns (edition, issue_number, list, subject, html, text, created_at,"
            " updated_at) VALUES ('bimestrielle', 1, 'bimestrielle', 'N°1', '', '', ?, ?)",
            (NOW, NOW),
        )
        for n in (1, 4, 5):
            conn.execute(
                "INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status,"
                " updated_at) VALUES (1, 0, ?, ?, 'accepted', ?)",
                (n, f"personne{n}@cpts-exemple.fr", NOW),
            )
        conn.execute(
            "INSERT INTO membership_changes (subscriber_id, member, source, recorded_at) "
            "VALUES (2, 1, 'cli', ?)",
            (NOW,),
        )
        conn.execute("DELETE FROM subscribers WHERE id IN (4, 5)")  # send_log: SET NULL
        conn.commit()
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status,"
            " updated_at) VALUES (1, 0, 9, NULL, 'accepted', ?)",
            (NOW,),
        )
        conn.commit()


def dump(path: Path, *tables: str) -> dict[str, list[tuple[Any, ...]]]:
    with closing(sqlite3.connect(path)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


KEPT = ("subscriptions", "consents", "send_log", "membership_changes", "registrations", "events")


async def test_0005_keeps_every_row_and_gives_each_person_a_nonce(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    fill_at_0004(path)
    people_before = dump(path, "subscribers")["subscribers"]
    kept_before = dump(path, *KEPT)

    db = await Database.open(path)
    assert await db.schema_version() == len(migrations())
    await db.close()

    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT id, email, email_hash, first_name, last_name, organisation, role, member,"
            " created_at, updated_at FROM subscribers ORDER BY id"
        ).fetchall()
        nonces = [r[0] for r in conn.execute("SELECT token_nonce FROM subscribers")]
        audience = conn.execute("SELECT * FROM list_audience").fetchall()
    assert rows == people_before and [r[0] for r in rows] == [1, 2, 3, 6]
    assert dump(path, *KEPT) == kept_before
    assert all(0 <= n < 2**32 for n in nonces) and len(set(nonces)) == len(nonces)
    assert audience == [("bimestrielle", 1, "personne1@cpts-exemple.fr")]


async def test_after_0005_no_id_is_given_again(tmp_path: Path) -> None:
    """The sequence starts after every id still named anywhere (9, in the send log), and grows
    past the newest person when they are erased."""
    path = tmp_path / "hub.sqlite3"
    fill_at_0004(path)
    async with await Database.open(path) as db:
        async with db.conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'"
        ) as c:
            assert (await c.fetchone())[0] == 9
        for n in (10, 11):
            async with db.transaction():
                await db.conn.execute(
                    "INSERT INTO subscribers (email, email_hash, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?)",
                    (f"nouveau{n}@cpts-exemple.fr", f"h{n}", NOW, NOW),
                )
            if n == 10:  # the newest person is erased: their id is not given to the next
                async with db.transaction():
                    await db.conn.execute("DELETE FROM subscribers WHERE id = 10")
        async with db.conn.execute("SELECT id, email FROM subscribers WHERE id > 6") as c:
            assert [tuple(r) for r in await c.fetchall()] == [(11, "nouveau11@cpts-exemple.fr")]


async def test_after_0005_the_children_follow_the_rebuilt_table(tmp_path: Path) -> None:
    """Foreign keys are on again and point at the new table: erasing a person still takes their
    subscriptions and consents along, and empties their send log rows."""
    path = tmp_path / "hub.sqlite3"
    fill_at_0004(path)
    async with await Database.open(path) as db:
        async with db.conn.execute("PRAGMA foreign_keys") as c:
            assert (await c.fetchone())[0] == 1
        async with db.transaction():
            await db.conn.execute("DELETE FROM subscribers WHERE id = 1")
        for sql, expected in (
            ("SELECT COUNT(*) FROM subscriptions WHERE subscriber_id = 1", 0),
            ("SELECT COUNT(*) FROM consents WHERE subscriber_id = 1", 0),
            ("SELECT COUNT(*) FROM send_log WHERE subscriber_id IS NULL", 3),
        ):
            async with db.conn.execute(sql) as c:
                assert (await c.fetchone())[0] == expected, sql
        with pytest.raises(sqlite3.IntegrityError):
            await db.conn.execute(
                "INSERT INTO subscriptions VALUES (404, 'bimestrielle', 'pending', ?, NULL, ?)",
                (NOW, NOW),
            )


async def test_a_migration_that_would_break_references_is_refused_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hub.sqlite3"
    fill_at_0004(path)
    before = dump(path, "subscribers", *KEPT)
    shipped = migrations()
    bad = (len(shipped) + 1, "drops_people", "DELETE FROM subscribers WHERE id = 1;")
    monkeypatch.setattr(hub_db, "migrations", lambda: [*shipped, bad])

    with pytest.raises(StorageError, match="référence\\(s\\) cassée\\(s\\) \\(table"):
        await Database.open(path)
    assert dump(path, "subscribers", *KEPT) == before
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 4
