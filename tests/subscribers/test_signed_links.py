"""Signed links open one person's record, through `Subscribers.by_token`: never the record of
someone who came after them, whatever became of the ids (real SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.config import Config
from hub.db import Database
from hub.events.service import Events
from hub.privacy import Privacy
from hub.subscribers.service import Consent, Person, Subscriber, Subscribers
from hub.timeutil import to_utc_text
from hub.tokens import PURPOSES, InvalidToken, TokenSigner

WEB = Consent("web", "J'accepte de recevoir la lettre.", "2026-12", ip="192.0.2.7")


@pytest.fixture
def service(db: Database, config: Config, monkeypatch: pytest.MonkeyPatch) -> Subscribers:
    return Subscribers(db, config)


async def subscribed(service: Subscribers, email: str, *, confirmed: bool = True) -> Subscriber:
    await service.subscribe(Person(email), ["bimestrielle"], WEB, confirmed=confirmed)
    found = await service.find(email)
    assert found is not None
    return found


def links(config: Config, person: Subscriber) -> dict[str, str]:
    """One token of every purpose made for `person`."""
    signer = TokenSigner.for_config(config)
    return {
        purpose: signer.path_for(purpose, person, "1" if purpose == "offer" else "*").rsplit(
            "/", 1
        )[1]
        for purpose in PURPOSES
    }


async def stale(db: Database, config: Config) -> None:
    """Make every pending sign-up older than the purge keeps them."""
    days = 2 * config.subscriptions.confirm_days
    before = to_utc_text(datetime.now(UTC) - timedelta(days=days, minutes=1))
    await db.conn.execute(
        "UPDATE subscriptions SET created_at = ? WHERE status = 'pending'", (before,)
    )
    await db.conn.commit()


async def test_a_link_opens_its_persons_record(service: Subscribers, config: Config) -> None:
    marie = await subscribed(service, "marie@cpts-exemple.fr")
    for purpose, token in links(config, marie).items():
        person, read = await service.by_token(token, purpose)
        assert (person, read.subscriber_id, read.nonce) == (marie, marie.id, marie.token_nonce)


async def test_every_person_gets_their_own_nonce(service: Subscribers, db: Database) -> None:
    people = [await subscribed(service, f"p{n}@cpts-exemple.fr") for n in range(20)]
    nonces = {p.token_nonce for p in people}
    assert len(nonces) == 20 and all(0 <= n < 2**32 for n in nonces)
    async with db.conn.execute("SELECT COUNT(DISTINCT token_nonce) FROM subscribers") as cursor:
        assert (await cursor.fetchone())[0] == 20


@pytest.mark.parametrize("how", ["forget", "stale sign-up purge", "events purge"])
async def test_the_newest_persons_id_is_never_given_again(
    service: Subscribers, db: Database, config: Config, how: str
) -> None:
    await subscribed(service, "premiere@cpts-exemple.fr")
    if how == "events purge":
        events = Events(db, config)
        gone = await service.save_person(Person("inscrite@cpts-exemple.fr"))
        await db.conn.execute(
            "INSERT INTO events (slug, title, kind, starts_at, ends_at, mode, audience, waitlist,"
            " ics_uid, created_at, updated_at) VALUES ('ag', 'AG', 'ag', :t, :t, 'online',"
            " 'public', 'none', 'uid-1', :t, :t)",
            {"t": "2020-01-01T08:00:00+00:00"},
        )
        await db.conn.execute(
            "INSERT INTO registrations (event_id, subscriber_id, status, source, created_at,"
            " updated_at) VALUES (1, ?, 'confirmed', 'web', '2020-01-01', '2020-01-01')",
            (gone.id,),
        )
        await db.conn.commit()
        assert (await events.purge()).people == 1
    else:
        gone = await subscribed(service, "partie@cpts-exemple.fr", confirmed=how == "forget")
        if how == "forget":
            assert (await service.forget(gone.email)).known
        else:
            await stale(db, config)
            assert (await service.purge_stale_pending()).people == 1
    assert await service.get(gone.id) is None

    newcomer = await subscribed(service, "nouveau@cpts-exemple.fr")

    assert newcomer.id > gone.id
    for purpose, token in links(config, gone).items():
        with pytest.raises(InvalidToken, match="no such person"):
            await service.by_token(token, purpose)


async def test_a_link_for_an_erased_person_opens_nothing_even_if_their_id_came_back(
    service: Subscribers, db: Database, config: Config
) -> None:
    """Were an id ever given again (a restored backup, a hand-made row), the newcomer's record
    has another nonce: the erased person's links still open nothing, and tell nothing."""
    gone = await subscribed(service, "partie@cpts-exemple.fr")
    old_links = links(config, gone)
    await service.forget(gone.email)
    await db.conn.execute(
        "INSERT INTO subscribers (id, email, email_hash, member, created_at, updated_at)"
        " VALUES (?, 'nouveau@cpts-exemple.fr', 'h', 1, '2026-12-01', '2026-12-01')",
        (gone.id,),
    )
    await db.conn.commit()
    newcomer = await service.get(gone.id)
    assert newcomer is not None and newcomer.token_nonce != gone.token_nonce

    for purpose, token in old_links.items():
        with pytest.raises(InvalidToken, match="no such person"):
            await service.by_token(token, purpose)
    for purpose, token in links(config, newcomer).items():  # the newcomer's own links do open
        assert (await service.by_token(token, purpose))[0] == newcomer


async def test_a_link_read_for_another_purpose_or_misspelt_opens_nothing(
    service: Subscribers, config: Config
) -> None:
    marie = await subscribed(service, "marie@cpts-exemple.fr")
    token = links(config, marie)["preferences"]
    for text, purpose in (
        (token, "unsubscribe"),
        (token + "!!!", "preferences"),
        (token + "==", "preferences"),
        (f" {token}", "preferences"),
    ):
        with pytest.raises(InvalidToken):
            await service.by_token(text, purpose)


async def test_the_nonce_is_not_part_of_what_a_person_is_shown(service: Subscribers) -> None:
    await subscribed(service, "marie@cpts-exemple.fr")
    privacy = Privacy(service.db, service.config, service, Events(service.db, service.config))
    shown = (await privacy.show("marie@cpts-exemple.fr")).as_json()
    assert shown is not None and "token_nonce" not in shown["person"]
