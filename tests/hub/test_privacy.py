"""The privacy service on a real SQLite file: what `show` gives of a person, and that `forget`
erases it across every domain in one transaction (all or nothing), seats going to the
waiting list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.config import Config
from hub.db import Database
from hub.events.model import Event
from hub.events.service import Events, NewEvent
from hub.mail import Content, Recipient
from hub.mail.factory import make_messenger
from hub.mail.folders import outbox_folder
from hub.privacy import Forgotten, Privacy
from hub.subscribers.service import Consent, Person, Subscribers

WEB = Consent("web", "J'accepte de recevoir la lettre.", "2026-12", ip="192.0.2.7")
HORTENSE = Person("hortense@exemple.fr", "Hortense", "Fontaine", "CPTS Nord", "salarie", True)
NEXT = Person("suivante@exemple.fr", "Sophie", "Suivante", "CPTS Sud", "salarie", True)
ANSWERS = {"profession": "Infirmière", "structure": "CPTS Nord", "jours": "Le second jour"}


@pytest.fixture
def subscribers(db: Database, config: Config, monkeypatch: pytest.MonkeyPatch) -> Subscribers:
    return Subscribers(db, config)


@pytest.fixture
def woken() -> list[str]:
    return []


@pytest.fixture
def privacy(db: Database, config: Config, subscribers: Subscribers, woken: list[str]) -> Privacy:
    events = Events(db, config)
    return Privacy(db, config, subscribers, events, mail_queued=lambda: woken.append("mail"))


async def rows(db: Database, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with db.conn.execute(sql, params) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def full_event(events: Events) -> Event:
    """A published event with one seat and a waiting list served at once."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    return await events.create(
        NewEvent(
            title="Journées nationales",
            kind="journees-nationales",
            venue="Palais 2 l'Atlantique",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            publish=True,
            capacity=1,
            waitlist="auto",
        )
    )


async def hortense_everywhere(
    db: Database, config: Config, subscribers: Subscribers, privacy: Privacy
) -> Event:
    """Hortense on two lists (consents), her membership changed, a newsletter sent to her with
    two provider events, two outbox messages, the only seat of a full event (with answers);
    Sophie on its waiting list."""
    await subscribers.subscribe(HORTENSE, ["bimestrielle", "adherents-flash"], WEB, confirmed=True)
    await subscribers.set_member(HORTENSE.email, False, "cli", "fin d'adhésion")
    await subscribers.set_member(HORTENSE.email, True, "cli", "réadhésion")
    hortense = await subscribers.find(HORTENSE.email)
    assert hortense is not None
    now = "2026-12-01T08:00:00+00:00"
    async with db.transaction():
        campaign = await db.conn.execute(
            "INSERT INTO campaigns (edition, issue_number, list, subject, html, text, status,"
            " created_at, updated_at) VALUES ('bimestrielle', 3, 'bimestrielle',"
            " 'La lettre n°3', '<p>x</p>', 'x', 'sent', ?, ?)",
            (now, now),
        )
        log = await db.conn.execute(
            "INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status,"
            " message_id, updated_at) VALUES (?, 0, ?, ?, 'accepted', 'msg-1', ?)",
            (campaign.lastrowid, hortense.id, hortense.email, now),
        )
        for event in ("delivered", "open"):
            await db.conn.execute(
                "INSERT INTO delivery_events (event_id, event, campaign_id, send_log_id,"
                " subscriber_id, detail, occurred_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"ev-{event}",
                    event,
                    campaign.lastrowid,
                    log.lastrowid,
                    hortense.id,
                    "",
                    now,
                    now,
                ),
            )
    messenger = make_messenger(config)
    page = Content(subject="Lettre", html="<p>Bonjour</p>", text="Bonjour", category="x")
    await messenger.send(replace(page, campaign_id=7), [Recipient(hortense.email)])
    await messenger.send(
        replace(page, category="transactionnel", list_unsubscribe=False),
        [Recipient(hortense.email), Recipient(NEXT.email)],
    )
    await messenger.close()
    event = await full_event(privacy.events)
    taken = await privacy.events.register(event.id, HORTENSE, source="web", answers=ANSWERS)
    theirs = {**ANSWERS, "structure": "CPTS Sud"}
    waiting = await privacy.events.register(event.id, NEXT, source="web", answers=theirs)
    assert (taken.registration.status, waiting.registration.status) == ("confirmed", "waitlisted")
    return event


async def statuses(db: Database, event: Event) -> dict[str, str]:
    found = await rows(
        db,
        "SELECT s.email, r.status FROM registrations AS r"
        " JOIN subscribers AS s ON s.id = r.subscriber_id WHERE r.event_id = ?",
        event.id,
    )
    return {row["email"]: row["status"] for row in found}


async def test_show_lists_everything_held_about_a_person(
    db: Database, config: Config, subscribers: Subscribers, privacy: Privacy
) -> None:
    await hortense_everywhere(db, config, subscribers, privacy)

    data = await privacy.show(" Hortense@Exemple.FR ")

    assert data.known and data.person is not None
    assert (data.email, data.person.first_name, data.person.organisation) == (
        "hortense@exemple.fr",
        "Hortense",
        "CPTS Nord",
    )
    assert [(s.list, s.status) for s in data.subscriptions] == [
        ("adherents-flash", "unsubscribed"),  # left with the withdrawn membership
        ("bimestrielle", "confirmed"),
    ]
    assert {(c.list, c.action) for c in data.consents} >= {
        ("bimestrielle", "subscribe"),
        ("bimestrielle", "confirm"),
        ("adherents-flash", "subscribe"),
        ("adherents-flash", "confirm"),
        ("adherents-flash", "unsubscribe"),
    }
    assert all(c.ip == "192.0.2.7" for c in data.consents if c.source == "web")
    assert [(m.member, m.note) for m in data.membership_changes] == [
        (False, "fin d'adhésion"),
        (True, "réadhésion"),
    ]
    assert [(s.subject, s.status, s.message_id) for s in data.sends] == [
        ("La lettre n°3", "accepted", "msg-1")
    ]
    assert [d.event for d in data.delivery_events] == ["delivered", "open"]
    (registration,) = data.registrations
    assert (registration.event, registration.status) == ("Journées nationales", "confirmed")
    assert dict(registration.answers) == ANSWERS
    assert data.suppression is None


async def test_show_as_json_is_what_the_subscribers_show_has_always_given(
    db: Database, config: Config, subscribers: Subscribers, privacy: Privacy
) -> None:
    await hortense_everywhere(db, config, subscribers, privacy)
    await subscribers.suppress(HORTENSE.email, "bounce", "bounce: 550 mailbox full")

    data = (await privacy.show(HORTENSE.email)).as_json()

    assert data is not None and data["suppressed"] and data["registrations"]
    assert list(data) == [
        "person",
        "subscriptions",
        "consents",
        "membership_changes",
        "sends",
        "delivery_events",
        "registrations",
        "discord_links",
        "discord_questions",
        "suppressed",
        "suppression",
    ]
    assert data["person"]["email"] == HORTENSE.email and "token_nonce" not in data["person"]
    assert data["suppression"]["reason"] == "bounce"
    assert isinstance(data["subscriptions"][0]["created_at"], str)  # UTC text, as stored
    assert (await privacy.show("jamais@exemple.fr")).as_json() is None


async def test_show_of_an_unknown_address_holds_nothing_but_says_whether_it_is_blocked(
    subscribers: Subscribers, privacy: Privacy
) -> None:
    unknown = await privacy.show("jamais@exemple.fr")
    assert unknown.person is None and not unknown.known and unknown.suppression is None
    assert unknown.subscriptions == unknown.consents == unknown.registrations == ()
    await subscribers.suppress("jamais@exemple.fr", "manual")
    blocked = await privacy.show("jamais@exemple.fr")
    assert blocked.suppression is not None and blocked.suppression.reason == "manual"


async def test_forget_erases_everything_and_the_waiting_list_gets_the_seat(
    db: Database, config: Config, subscribers: Subscribers, privacy: Privacy, woken: list[str]
) -> None:
    event = await hortense_everywhere(db, config, subscribers, privacy)
    woken.clear()

    forgotten = await privacy.forget("Hortense@exemple.fr", block=False)

    assert forgotten == Forgotten(
        email="hortense@exemple.fr",
        known=True,
        blocked=True,  # a known person's address is always blocked
        registrations_withdrawn=1,
        outbox_messages=2,
    )
    assert await statuses(db, event) == {NEXT.email: "confirmed"}
    # Sophie is told she has the seat, and the mail worker is woken after the commit.
    promoted = await rows(db, "SELECT kind FROM event_messages ORDER BY id DESC LIMIT 1")
    assert promoted == [{"kind": "promoted"}]
    assert woken == ["mail"]
    after = await privacy.show(HORTENSE.email)
    assert after.person is None and after.suppression is not None
    for table in ("subscribers", "consents", "send_log", "delivery_events", "registrations"):
        for row in await rows(db, f"SELECT * FROM {table}"):
            text = " ".join(str(value) for value in row.values()).lower()
            for personal in ("hortense", "fontaine", "cpts nord", "192.0.2.7"):
                assert personal not in text, (table, row)
    assert len(await rows(db, "SELECT * FROM send_log")) == 1  # counted, named no more
    (kept,) = outbox_folder(config).rglob("*.eml")
    assert b"hortense" not in kept.read_bytes().lower()


async def test_a_failure_mid_way_leaves_everything_in_place(
    db: Database, config: Config, subscribers: Subscribers, privacy: Privacy, woken: list[str]
) -> None:
    event = await hortense_everywhere(db, config, subscribers, privacy)
    before = await privacy.show(HORTENSE.email)
    woken.clear()
    # The database refuses the last step, after the registrations were withdrawn and the
    # seat given: all of it must roll back.
    await db.conn.executescript(
        "CREATE TRIGGER refuse_delete BEFORE DELETE ON subscribers "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
    )

    with pytest.raises(Exception, match="injected failure"):
        await privacy.forget(HORTENSE.email, block=True)

    assert await privacy.show(HORTENSE.email) == before
    assert await statuses(db, event) == {HORTENSE.email: "confirmed", NEXT.email: "waitlisted"}
    assert await rows(db, "SELECT * FROM suppressions") == []
    assert await rows(db, "SELECT kind FROM event_messages WHERE kind = 'promoted'") == []
    assert len(list(outbox_folder(config).rglob("*.eml"))) == 3
    assert woken == []


async def test_an_unknown_address_is_blocked_only_when_asked(
    db: Database, privacy: Privacy, woken: list[str]
) -> None:
    kept = await privacy.forget("Inconnu@exemple.fr", block=False)
    assert kept == Forgotten("inconnu@exemple.fr", False, False, 0, 0)
    assert await rows(db, "SELECT * FROM suppressions") == []

    blocked = await privacy.forget("inconnu@exemple.fr", block=True)
    assert blocked == Forgotten("inconnu@exemple.fr", False, True, 0, 0)
    assert (await privacy.show("inconnu@exemple.fr")).suppression is not None
    assert await rows(db, "SELECT * FROM subscribers") == []
    assert woken == []


async def test_the_discord_accounts_are_shown_and_erased_with_the_person(
    db: Database, config: Config, subscribers: Subscribers, privacy: Privacy
) -> None:
    """GDPR through Discord too: `show` lists the linked accounts and the roles the bot gave;
    `forget` removes the links and any pending code asked for the address."""
    from hub.services import HubServices, Secrets

    services = HubServices.build(config, db, Secrets())
    await subscribers.subscribe_many(
        [Person("camille@cpts-exemple.fr", role="salarie", member=True)],
        ["bimestrielle"],
        Consent("cli", "test", "1"),
        confirmed=True,
    )
    await services.identification.link_by_hand(
        4242, "camille@cpts-exemple.fr", server="salaries", staff="equipe"
    )
    await services.identification.request_code(4343, "camille@cpts-exemple.fr", server="elus")

    shown = await privacy.show("camille@cpts-exemple.fr")
    (link,) = shown.discord_links
    assert (link.server, link.discord_user_id, link.linked_by) == ("salaries", 4242, "equipe")
    assert link.roles == ("adherent", "salarie")
    assert shown.as_json()["discord_links"][0]["discord_user_id"] == 4242

    await privacy.forget("camille@cpts-exemple.fr", block=True)
    assert await rows(db, "SELECT * FROM discord_links") == []
    assert await rows(db, "SELECT * FROM discord_codes") == []
    await services.close_messenger()
