"""The subscribers service on a real SQLite file: people, lists, consent, suppression, GDPR."""

from __future__ import annotations

import random
import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email

from hub.config import Config, ConfigError
from hub.db import Database
from hub.errors import UserError
from hub.events.service import Events
from hub.keys import KeyChanged, derived_key
from hub.mail import Content, Recipient
from hub.mail.factory import make_messenger, outbox_folder
from hub.privacy import Privacy
from hub.subscribers.service import (
    MEMBERSHIP_WITHDRAWN,
    Consent,
    Erasure,
    InvalidEmail,
    ListOutcome,
    MembershipChange,
    Person,
    Purged,
    Subscribers,
    email_hash,
    normalise_email,
)
from hub.timeutil import to_utc_text

WEB = Consent("web", "J'accepte de recevoir la lettre.", "2026-12", ip="192.0.2.7")
STAFF = Consent("cli", "Ajout par l'équipe.", "2026-12")


async def show(service: Subscribers, email: str) -> dict[str, Any] | None:
    """What `hub subscribers show --json` prints for `email` (the GDPR access, `Privacy`)."""
    privacy = Privacy(service.db, service.config, service, Events(service.db, service.config))
    return (await privacy.show(email)).as_json()


@pytest.fixture
def service(db: Database, config: Config, monkeypatch: pytest.MonkeyPatch) -> Subscribers:
    return Subscribers(db, config)


async def table_rows(db: Database, table: str) -> list[dict[str, object]]:
    async with db.conn.execute(f"SELECT * FROM {table}") as cursor:
        return [dict(row) for row in await cursor.fetchall()]


# Normalisation


def test_normalise_lower_cases_the_whole_address() -> None:
    assert normalise_email("  Marie.Dupont@CPTS-Exemple.FR ") == "marie.dupont@cpts-exemple.fr"
    # An internationalised domain is kept in the ASCII form mail headers can carry.
    assert normalise_email("Elodie@Café.org") == "elodie@xn--caf-dma.org"


@pytest.mark.parametrize("raw", ["José@cpts.fr", "élodie@exemple.org", "Zoë.Martin@exemple.fr"])
def test_an_accented_local_part_is_refused_as_it_could_not_be_mailed(raw: str) -> None:
    with pytest.raises(InvalidEmail, match="pas de lettre accentuée") as caught:
        normalise_email(raw)
    assert raw in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "vide"),
        ("marie.dupont.exemple.fr", "il manque le @"),
        ("@exemple.fr", "rien avant le @"),
        ("marie@", "rien après le @"),
        ("marie..dupont@exemple.fr", "deux points se suivent"),
        ("marie@exemple", "doit contenir un point"),
        ("marie dupont@exemple.fr", "espace"),
        ("marie@exemple.test", "réservé"),
    ],
)
def test_invalid_addresses_say_what_is_wrong_in_french(raw: str, reason: str) -> None:
    with pytest.raises(InvalidEmail, match=reason) as caught:
        normalise_email(raw)
    if raw:
        assert raw in str(caught.value)


def test_fast_path_agrees_with_email_validator() -> None:
    """The shortcut for plain addresses must accept and normalise exactly as the library."""
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + ".-_+@!#'~"
    samples = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 30))) for _ in range(3000)
    ]
    samples += [
        "a@xn--exmple-cua.fr",
        "a@-exemple.fr",
        "a@exemple-.fr",
        "a@ab--cd.fr",
        "a@exemple.123",
        "a@exemple.local",
        "a@" + "d" * 64 + ".fr",
        "x" * 65 + "@exemple.fr",
        "x" * 64 + "@" + ("d" * 60 + ".") * 4 + "fr",
        ".a@exemple.fr",
        "a.@exemple.fr",
        "a@exemple..fr",
        "josé@exemple.fr",
        "a@exémple.fr",
    ]
    for raw in samples:
        try:
            expected: str | None = validate_email(
                raw, check_deliverability=False, allow_smtputf8=False
            ).ascii_email
        except EmailNotValidError:
            expected = None
        try:
            got: str | None = normalise_email(raw)
        except InvalidEmail:
            got = None
        assert got == (expected.lower() if expected else None), raw


def test_hash_is_keyed() -> None:
    assert email_hash(b"a" * 32, "x@exemple.fr") != email_hash(b"b" * 32, "x@exemple.fr")
    assert len(email_hash(b"a" * 32, "x@exemple.fr")) == 64


# People


async def test_one_person_per_address_whatever_its_case(service: Subscribers) -> None:
    first = await service.save_person(Person("Marie.Dupont@Exemple.fr", first_name="Marie"))
    again = await service.save_person(
        Person("marie.dupont@EXEMPLE.FR", last_name="Dupont", role="elu", member=True)
    )
    assert again.id == first.id
    assert (again.email, again.first_name, again.last_name, again.role, again.member) == (
        "marie.dupont@exemple.fr",
        "Marie",
        "Dupont",
        "elu",
        True,
    )
    # Empty fields, role "autre" and member False never erase what is stored.
    kept = await service.save_person(Person("marie.dupont@exemple.fr"))
    assert (kept.first_name, kept.role, kept.member) == ("Marie", "elu", True)
    assert (await service.find("MARIE.DUPONT@exemple.fr")) == kept
    assert (await service.get(kept.id)) == kept
    assert await service.find("personne@exemple.fr") is None


def test_person_and_consent_refuse_unknown_values() -> None:
    with pytest.raises(UserError, match="rôle inconnu"):
        Person("a@exemple.fr", role="chef")
    with pytest.raises(UserError, match="origine inconnue"):
        Consent("fax", "", "")


# Subscribing


async def test_subscribe_records_pending_then_confirm(service: Subscribers, db: Database) -> None:
    outcomes = await service.subscribe(
        Person("Paul@Exemple.fr", first_name="Paul"), ["bimestrielle"], WEB, confirmed=False
    )
    assert outcomes == [ListOutcome("bimestrielle", "pending")]
    paul = await service.find("paul@exemple.fr")
    assert paul is not None
    assert await service.subscriptions(paul.id) == {"bimestrielle": "pending"}
    again = await service.subscribe(
        Person("paul@exemple.fr"), ["bimestrielle"], WEB, confirmed=False
    )
    assert again == [ListOutcome("bimestrielle", "already")]

    assert await service.confirm(paul.id, "*", WEB) == ["bimestrielle"]
    assert await service.confirm(paul.id, "*", WEB) == []
    assert await service.subscriptions(paul.id) == {"bimestrielle": "confirmed"}
    consents = await table_rows(db, "consents")
    assert [
        (c["action"], c["source"], c["consent_text"], c["consent_version"], c["ip"])
        for c in consents
    ] == [
        ("subscribe", "web", WEB.text, "2026-12", "192.0.2.7"),
        ("confirm", "web", WEB.text, "2026-12", "192.0.2.7"),
    ]


async def test_confirmed_subscription_records_both_actions(
    service: Subscribers, db: Database
) -> None:
    person = Person("anne@exemple.fr", member=True)
    outcomes = await service.subscribe(
        person, ["bimestrielle", "adherents-flash", "bimestrielle"], STAFF, confirmed=True
    )
    assert outcomes == [
        ListOutcome("bimestrielle", "confirmed"),
        ListOutcome("adherents-flash", "confirmed"),
    ]
    consents = await table_rows(db, "consents")
    assert sorted((c["list"], c["action"]) for c in consents) == [
        ("adherents-flash", "confirm"),
        ("adherents-flash", "subscribe"),
        ("bimestrielle", "confirm"),
        ("bimestrielle", "subscribe"),
    ]
    subscriptions = await table_rows(db, "subscriptions")
    assert all(s["confirmed_at"] for s in subscriptions)


async def test_members_only_list_refuses_non_members(service: Subscribers, db: Database) -> None:
    outcomes = await service.subscribe(
        Person("luc@exemple.fr"), ["adherents-flash"], WEB, confirmed=False
    )
    assert outcomes == [ListOutcome("adherents-flash", "members_only")]
    assert await table_rows(db, "subscribers") == []  # refused everywhere: nothing stored

    mixed = await service.subscribe(
        Person("luc@exemple.fr"), ["bimestrielle", "adherents-flash"], WEB, confirmed=False
    )
    assert [o.status for o in mixed] == ["pending", "members_only"]
    luc = await service.find("luc@exemple.fr")
    assert luc is not None
    assert await service.subscriptions(luc.id) == {"bimestrielle": "pending"}

    # Membership stored earlier counts even when the request leaves it out.
    await service.save_person(Person("luc@exemple.fr", member=True))
    later = await service.subscribe(
        Person("luc@exemple.fr"), ["adherents-flash"], WEB, confirmed=False
    )
    assert later == [ListOutcome("adherents-flash", "pending")]


async def test_unknown_list_is_a_config_error(service: Subscribers, db: Database) -> None:
    with pytest.raises(ConfigError, match="liste inconnue 'nope'"):
        await service.subscribe(Person("a@exemple.fr"), ["nope"], WEB, confirmed=False)
    assert await table_rows(db, "subscribers") == []


async def test_suppressed_address_is_refused_and_nothing_stored(
    service: Subscribers, db: Database
) -> None:
    await service.suppress("Rebond@Exemple.fr", "bounce", "550 user unknown")
    assert await service.is_suppressed("rebond@exemple.fr")
    assert not await service.is_suppressed("autre@exemple.fr")
    outcomes = await service.subscribe(
        Person("rebond@exemple.fr", first_name="Rémi"),
        ["bimestrielle", "adherents-flash"],
        WEB,
        confirmed=True,
        allow_resubscribe=True,
    )
    assert [o.status for o in outcomes] == ["suppressed", "suppressed"]
    assert await table_rows(db, "subscribers") == []
    assert await table_rows(db, "consents") == []
    (row,) = await table_rows(db, "suppressions")
    assert row["reason"] == "bounce" and "rebond" not in str(row)


async def test_suppression_ends_current_subscriptions(service: Subscribers) -> None:
    for email in ("b@exemple.fr", "c@exemple.fr", "m@exemple.fr"):
        await service.subscribe(
            Person(email, member=True), ["bimestrielle", "adherents-flash"], STAFF, confirmed=True
        )
    b = await service.find("b@exemple.fr")
    assert b is not None
    await service.unsubscribe(b.id, "adherents-flash", "web")
    await service.suppress("b@exemple.fr", "bounce")
    await service.suppress("b@exemple.fr", "complaint")  # idempotent: the first stays
    await service.suppress("c@exemple.fr", "complaint")
    await service.suppress("m@exemple.fr", "manual", "demande par téléphone")
    subscriptions = {
        email: await service.subscriptions(s.id)
        for email in ("b@exemple.fr", "c@exemple.fr", "m@exemple.fr")
        if (s := await service.find(email))
    }
    assert subscriptions == {
        "b@exemple.fr": {"adherents-flash": "unsubscribed", "bimestrielle": "bounced"},
        "c@exemple.fr": {"adherents-flash": "complained", "bimestrielle": "complained"},
        "m@exemple.fr": {"adherents-flash": "unsubscribed", "bimestrielle": "unsubscribed"},
    }
    shown = await show(service, "b@exemple.fr")
    assert shown is not None and shown["suppression"]["reason"] == "bounce"
    # A bounced subscription is never put back, even with a fresh consent.
    again = await service.subscribe(
        Person("b@exemple.fr"), ["bimestrielle"], WEB, confirmed=False, allow_resubscribe=True
    )
    assert again == [ListOutcome("bimestrielle", "suppressed")]


async def test_resubscribe_only_with_a_fresh_consent(service: Subscribers, db: Database) -> None:
    await service.subscribe(Person("ines@exemple.fr"), ["bimestrielle"], STAFF, confirmed=True)
    ines = await service.find("ines@exemple.fr")
    assert ines is not None
    assert await service.unsubscribe(ines.id, "bimestrielle", "email", "198.51.100.1") == [
        "bimestrielle"
    ]
    assert await service.unsubscribe(ines.id, "bimestrielle", "email") == []

    refused = await service.subscribe(
        Person("ines@exemple.fr", first_name="Inès"), ["bimestrielle"], STAFF, confirmed=True
    )
    assert refused == [ListOutcome("bimestrielle", "unsubscribed")]
    assert await service.subscriptions(ines.id) == {"bimestrielle": "unsubscribed"}
    unchanged = await service.get(ines.id)
    assert unchanged is not None and unchanged.first_name == ""  # a refused request stores nothing

    back = await service.subscribe(
        Person("ines@exemple.fr"), ["bimestrielle"], WEB, confirmed=False, allow_resubscribe=True
    )
    assert back == [ListOutcome("bimestrielle", "pending")]
    (subscription,) = await table_rows(db, "subscriptions")
    assert subscription["status"] == "pending" and subscription["confirmed_at"] is None
    actions = [(c["action"], c["source"], c["ip"]) for c in await table_rows(db, "consents")]
    assert actions == [
        ("subscribe", "cli", None),
        ("confirm", "cli", None),
        ("unsubscribe", "email", "198.51.100.1"),
        ("subscribe", "web", "192.0.2.7"),
    ]


async def test_confirm_and_unsubscribe_one_list_or_all(service: Subscribers) -> None:
    await service.subscribe(
        Person("zoe@exemple.fr", member=True),
        ["bimestrielle", "adherents-flash", "adherents-condense"],
        WEB,
        confirmed=False,
    )
    zoe = await service.find("zoe@exemple.fr")
    assert zoe is not None
    assert await service.confirm(zoe.id, "adherents-flash", WEB) == ["adherents-flash"]
    assert await service.confirm(zoe.id, "*", WEB) == ["adherents-condense", "bimestrielle"]
    assert await service.unsubscribe(zoe.id, "bimestrielle", "web") == ["bimestrielle"]
    assert await service.subscriptions(zoe.id) == {
        "adherents-condense": "confirmed",
        "adherents-flash": "confirmed",
        "bimestrielle": "unsubscribed",
    }
    assert await service.unsubscribe(zoe.id, "*", "web") == [
        "adherents-condense",
        "adherents-flash",
    ]
    assert set((await service.subscriptions(zoe.id)).values()) == {"unsubscribed"}


# GDPR


async def add_campaign_history(db: Database, subscriber_id: int, email: str) -> None:
    """A sent campaign with this person in its log and two provider events about them."""
    now = "2026-12-01T08:00:00+00:00"
    async with db.transaction():
        campaign_id = await db.conn.execute(
            "INSERT INTO campaigns (edition, issue_number, list, subject, html, text, status,"
            " created_at, updated_at) VALUES ('bimestrielle', 3, 'bimestrielle',"
            " 'La lettre n°3', '<p>x</p>', 'x', 'sent', ?, ?)",
            (now, now),
        )
        cid = campaign_id.lastrowid
        log = await db.conn.execute(
            "INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status,"
            " message_id, updated_at) VALUES (?, 0, ?, ?, 'accepted', 'msg-1', ?)",
            (cid, subscriber_id, email, now),
        )
        for event, detail in (("delivered", ""), ("bounce", f"bounce: 550 <{email}> mailbox full")):
            await db.conn.execute(
                "INSERT INTO delivery_events (event_id, event, campaign_id, send_log_id,"
                " subscriber_id, detail, occurred_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (f"ev-{event}", event, cid, log.lastrowid, subscriber_id, detail, now, now),
            )


async def test_show_returns_everything_held(service: Subscribers, db: Database) -> None:
    await service.subscribe(
        Person("jeanne@exemple.fr", "Jeanne", "Martin", "CPTS du Val", "coordinateur", True),
        ["bimestrielle", "adherents-flash"],
        WEB,
        confirmed=False,
    )
    jeanne = await service.find("jeanne@exemple.fr")
    assert jeanne is not None
    await service.confirm(jeanne.id, "bimestrielle", WEB)
    await add_campaign_history(db, jeanne.id, jeanne.email)

    shown = await show(service, "Jeanne@Exemple.fr")
    assert shown is not None
    assert shown["person"]["email"] == "jeanne@exemple.fr"
    assert shown["person"]["organisation"] == "CPTS du Val"
    assert shown["person"]["member"] is True
    assert {s["list"]: s["status"] for s in shown["subscriptions"]} == {
        "adherents-flash": "pending",
        "bimestrielle": "confirmed",
    }
    assert len(shown["consents"]) == 3
    assert shown["consents"][0]["ip"] == "192.0.2.7"
    assert shown["consents"][0]["consent_text"] == WEB.text
    (send,) = shown["sends"]
    assert (send["subject"], send["status"], send["issue_number"]) == (
        "La lettre n°3",
        "accepted",
        3,
    )
    assert [e["event"] for e in shown["delivery_events"]] == ["bounce", "delivered"]
    assert shown["suppressed"] is False and shown["suppression"] is None
    assert await show(service, "inconnu@exemple.fr") is None


async def add_quoting_texts(db: Database, email: str) -> None:
    """Errors of a batch and of a send, and a provider event tied to nobody, that quote
    `email` (in another case, as a relay writes it) beside another address."""
    now = "2026-12-02T08:00:00+00:00"
    shouted = email.upper()
    async with db.transaction():
        campaign = await db.conn.execute(
            "INSERT INTO campaigns (edition, issue_number, list, subject, html, text, status,"
            " created_at, updated_at) VALUES ('bimestrielle', 4, 'bimestrielle',"
            " 'La lettre n°4', '<p>x</p>', 'x', 'sent', ?, ?)",
            (now, now),
        )
        cid = campaign.lastrowid
        await db.conn.execute(
            "INSERT INTO send_batches (campaign_id, seq, status, error, updated_at)"
            " VALUES (?, 0, 'failed', ?, ?)",
            (cid, f"400 invalid recipients: {shouted}, autre@exemple.fr", now),
        )
        await db.conn.execute(
            "INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status, error,"
            " updated_at) VALUES (?, 0, NULL, 'autre@exemple.fr', 'failed', ?, ?)",
            (cid, f"550 relay refused <{shouted}> (copied in a neighbour's error)", now),
        )
        await db.conn.execute(
            "INSERT INTO delivery_events (event_id, event, campaign_id, detail, occurred_at,"
            " received_at) VALUES ('ev-orphan', 'dropped', ?, ?, ?, ?)",
            (cid, f"Bounced Address {shouted}", now, now),
        )


async def outbox_messages(config: Config, email: str) -> None:
    """Messages to `email` written by the outbox backend: a campaign's and a transactional one,
    and one to someone else."""
    messenger = make_messenger(config)
    page = Content(subject="Lettre", html="<p>Bonjour</p>", text="Bonjour", category="x")
    await messenger.send(replace(page, campaign_id=7), [Recipient(email, send_log_id=12)])
    await messenger.send(
        replace(page, category="transactionnel", list_unsubscribe=False),
        [Recipient(email.upper(), first_name="Hortense"), Recipient("reste@exemple.fr")],
    )
    await messenger.close()


async def test_forget_erases_the_address_everywhere_but_keeps_it_blocked(
    service: Subscribers, db: Database, config: Config
) -> None:
    person = Person("effacer@exemple.fr", "Hortense", "Fontaine", "CPTS Nord", "salarie", True)
    await service.subscribe(person, ["bimestrielle", "adherents-flash"], WEB, confirmed=True)
    await service.subscribe(Person("reste@exemple.fr"), ["bimestrielle"], STAFF, confirmed=True)
    eva = await service.find(person.email)
    assert eva is not None
    await add_campaign_history(db, eva.id, eva.email)
    await add_quoting_texts(db, eva.email)
    # A hard bounce first: its reason, quoting the address, is kept with the suppression.
    await service.suppress(eva.email, "bounce", "bounce: 550 <Effacer@exemple.fr> unknown")
    await outbox_messages(config, eva.email)
    outbox = outbox_folder(config)
    assert len(list(outbox.rglob("*.eml"))) == 3

    erasure = await service.forget("Effacer@Exemple.fr")

    assert erasure == Erasure(known=True, outbox_messages=2)
    async with db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ) as cursor:
        tables = [row[0] for row in await cursor.fetchall()]
    assert {"subscribers", "consents", "send_log", "delivery_events"} <= set(tables)
    for table in tables:
        for row in await table_rows(db, table):
            text = " ".join(str(v) for v in row.values()).lower()
            for personal in ("effacer", "fontaine", "hortense", "cpts nord", "192.0.2.7"):
                assert personal not in text, (table, row)
    logs = {row["email"]: row for row in await table_rows(db, "send_log")}
    assert logs[None]["subscriber_id"] is None and logs[None]["status"] == "accepted"
    assert logs["autre@exemple.fr"]["error"] == (
        "550 relay refused <[adresse effacée]> (copied in a neighbour's error)"
    )
    (batch,) = await table_rows(db, "send_batches")
    assert batch["error"] == "400 invalid recipients: [adresse effacée], autre@exemple.fr"
    (suppression,) = await table_rows(db, "suppressions")
    assert suppression["reason"] == "bounce"
    assert suppression["detail"] == "bounce: 550 <[adresse effacée]> unknown"
    events = {e["event_id"]: e for e in await table_rows(db, "delivery_events")}
    assert all(e["subscriber_id"] is None for e in events.values())
    assert events["ev-orphan"]["detail"] == "Bounced Address [adresse effacée]"
    # The person's bounce keeps its type (hard), which campaign figures count by.
    assert events["ev-bounce"]["detail"] == "bounce:"
    assert len(await table_rows(db, "subscribers")) == 1  # the other person is untouched
    (kept,) = outbox.rglob("*.eml")
    assert b"reste@exemple.fr" in kept.read_bytes()

    assert await service.is_suppressed("effacer@exemple.fr")
    assert await service.subscribe(person, ["bimestrielle"], WEB, confirmed=True) == [
        ListOutcome("bimestrielle", "suppressed")
    ]
    assert await service.find("effacer@exemple.fr") is None


async def test_forgetting_an_unknown_address_still_blocks_it(service: Subscribers) -> None:
    assert await service.forget("jamais@exemple.fr") == Erasure(known=False, outbox_messages=0)
    assert await service.is_suppressed("JAMAIS@exemple.fr")
    outcomes = await service.subscribe(
        Person("jamais@exemple.fr"), ["bimestrielle"], WEB, confirmed=False
    )
    assert outcomes == [ListOutcome("bimestrielle", "suppressed")]


async def test_forgetting_an_unknown_address_blocks_it_only_when_asked(
    service: Subscribers,
) -> None:
    erasure = await service.forget("inconnu@exemple.fr", block_unknown=False)
    assert erasure == Erasure(known=False, outbox_messages=0, blocked=False)
    assert not await service.is_suppressed("inconnu@exemple.fr")
    outcomes = await service.subscribe(
        Person("inconnu@exemple.fr"), ["bimestrielle"], WEB, confirmed=False
    )
    assert outcomes == [ListOutcome("bimestrielle", "pending")]


async def test_a_known_person_is_blocked_when_forgotten_even_without_asking(
    service: Subscribers,
) -> None:
    await service.subscribe(Person("connu@exemple.fr"), ["bimestrielle"], WEB, confirmed=True)
    erasure = await service.forget("connu@exemple.fr", block_unknown=False)
    assert erasure == Erasure(known=True, outbox_messages=0, blocked=True)
    assert await service.is_suppressed("connu@exemple.fr")


async def test_suppression_hash_uses_the_suppression_key(
    service: Subscribers, db: Database, config: Config
) -> None:
    await service.suppress("x@exemple.fr", "manual")
    (row,) = await table_rows(db, "suppressions")
    assert row["email_hash"] == email_hash(derived_key(config, "suppression"), "x@exemple.fr")


async def test_another_secret_key_is_refused_before_any_hash_is_made(
    service: Subscribers,
    db: Database,
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
    secret_key: str,
) -> None:
    """Under another key no blocked address would be recognised: the hub refuses it, saying
    what to do, and changes nothing."""
    await service.suppress("bloque@exemple.fr", "complaint")
    monkeypatch.setenv("HUB_SECRET_KEY", "oaplPyTvyrTb4Dvu7eU7UT7sotKXRS8rqxICL7_8ruc")
    changed = Subscribers(db, config)
    before = await table_rows(db, "suppressions")

    for attempt in (
        changed.is_suppressed("bloque@exemple.fr"),
        changed.subscribe(Person("bloque@exemple.fr"), ["bimestrielle"], STAFF, confirmed=True),
        changed.suppress("autre@exemple.fr", "manual"),
        changed.forget("bloque@exemple.fr"),
    ):
        with pytest.raises(KeyChanged) as caught:
            await attempt
        message = str(caught.value)
        assert "Remettez la valeur d'origine de HUB_SECRET_KEY" in message
        assert "adresses bloquées" in message and str(db.path) in message

    assert await table_rows(db, "suppressions") == before
    assert await table_rows(db, "subscribers") == []
    # the original key: all is well again
    monkeypatch.setenv("HUB_SECRET_KEY", secret_key)
    assert await Subscribers(db, config).is_suppressed("bloque@exemple.fr")


async def test_a_lost_local_key_file_is_refused_too(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without HUB_SECRET_KEY (outbox backend) the key is made once in the data folder: a new
    one after that file was lost is refused like a changed variable."""
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    async with await Database.open(config.database_path) as db:
        await Subscribers(db, config).suppress("bloque@exemple.fr", "bounce")
    (config.data_dir / "secret.key").unlink()
    async with await Database.open(config.database_path) as db:  # the next start
        with pytest.raises(KeyChanged, match=r"secret\.key"):
            await Subscribers(db, config).is_suppressed("bloque@exemple.fr")


async def test_stale_pending_sign_ups_are_purged_with_whom_nothing_else_keeps(
    service: Subscribers, db: Database, config: Config
) -> None:
    """Pending twice the link's validity: the subscription goes, and the person with it
    unless another list, an event registration or membership keeps them."""
    for email in ("oublie@exemple.fr", "lecteur@exemple.fr", "inscrit@exemple.fr"):
        await service.subscribe(
            Person(email, first_name="X"), ["bimestrielle"], WEB, confirmed=False
        )
    await service.subscribe(
        Person("lecteur@exemple.fr", member=True), ["adherents-flash"], STAFF, confirmed=True
    )
    registrant = await service.find("inscrit@exemple.fr")
    assert registrant is not None
    now = "2026-11-01T08:00:00+00:00"
    await db.conn.execute(
        "INSERT INTO events (slug, title, kind, starts_at, ends_at, mode, audience, waitlist,"
        " ics_uid, created_at, updated_at) VALUES ('ag', 'AG', 'ag', ?, ?, 'online', 'public',"
        " 'none', 'uid-1', ?, ?)",
        (now, now, now, now),
    )
    await db.conn.execute(
        "INSERT INTO registrations (event_id, subscriber_id, status, source, created_at,"
        " updated_at) VALUES (1, ?, 'confirmed', 'web', ?, ?)",
        (registrant.id, now, now),
    )
    days = 2 * config.subscriptions.confirm_days
    stale = to_utc_text(datetime.now(UTC) - timedelta(days=days, minutes=1))
    await db.conn.execute(
        "UPDATE subscriptions SET created_at = ? WHERE status = 'pending'", (stale,)
    )
    await db.conn.commit()
    await service.subscribe(Person("recent@exemple.fr"), ["bimestrielle"], WEB, confirmed=False)

    assert await service.purge_stale_pending() == Purged(subscriptions=3, people=1)

    assert await service.find("oublie@exemple.fr") is None
    lecteur = await service.find("lecteur@exemple.fr")
    assert lecteur is not None
    assert await service.subscriptions(lecteur.id) == {"adherents-flash": "confirmed"}
    assert await service.subscriptions(registrant.id) == {}
    recent = await service.find("recent@exemple.fr")
    assert recent is not None
    assert await service.subscriptions(recent.id) == {"bimestrielle": "pending"}
    assert await service.purge_stale_pending() == Purged(subscriptions=0, people=0)


async def test_membership_is_withdrawn_with_its_reserved_lists_and_recorded(
    service: Subscribers, db: Database
) -> None:
    lists = ["bimestrielle", "adherents-flash", "adherents-condense"]
    await service.subscribe(Person("ancien@exemple.fr", member=True), lists, STAFF, confirmed=True)

    change = await service.set_member("Ancien@exemple.fr", False, "cli", "non-renouvellement")

    assert change == MembershipChange(changed=True, left=["adherents-flash", "adherents-condense"])
    person = await service.find("ancien@exemple.fr")
    assert person is not None and person.member is False
    assert await service.subscriptions(person.id) == {
        "bimestrielle": "confirmed",
        "adherents-flash": "unsubscribed",
        "adherents-condense": "unsubscribed",
    }
    shown = await show(service, "ancien@exemple.fr")
    assert shown is not None
    assert [
        (c["list"], c["action"], c["source"], c["consent_text"]) for c in shown["consents"][-2:]
    ] == [
        ("adherents-flash", "unsubscribe", "cli", MEMBERSHIP_WITHDRAWN),
        ("adherents-condense", "unsubscribe", "cli", MEMBERSHIP_WITHDRAWN),
    ]
    assert [(m["member"], m["source"], m["note"]) for m in shown["membership_changes"]] == [
        (False, "cli", "non-renouvellement")
    ]
    # Again: nothing to change, nothing recorded; granting it back is recorded, lists stay left.
    assert await service.set_member("ancien@exemple.fr", False, "cli") == MembershipChange(
        changed=False, left=[]
    )
    assert await service.set_member("ancien@exemple.fr", True, "cli") == MembershipChange(
        changed=True, left=[]
    )
    shown = await show(service, "ancien@exemple.fr")
    assert shown is not None and len(shown["membership_changes"]) == 2
    assert (await service.subscriptions(person.id))["adherents-flash"] == "unsubscribed"
    assert await service.set_member("inconnu@exemple.fr", True, "cli") is None


async def test_export(service: Subscribers) -> None:
    await service.subscribe(
        Person("b@exemple.fr", "Béa", "Roux", "CPTS Sud", "elu", True),
        ["bimestrielle"],
        STAFF,
        confirmed=True,
    )
    await service.subscribe(Person("a@exemple.fr"), ["bimestrielle"], WEB, confirmed=False)
    await service.subscribe(Person("c@exemple.fr"), ["bimestrielle"], WEB, confirmed=True)
    c = await service.find("c@exemple.fr")
    assert c is not None
    await service.unsubscribe(c.id, "*", "web")

    rows = await service.export("bimestrielle")
    assert [(r["email"], r["status"]) for r in rows] == [
        ("a@exemple.fr", "pending"),
        ("b@exemple.fr", "confirmed"),
        ("c@exemple.fr", "unsubscribed"),
    ]
    b = rows[1]
    assert (b["first_name"], b["organisation"], b["role"], b["member"]) == (
        "Béa",
        "CPTS Sud",
        "elu",
        True,
    )
    assert b["subscribed_at"] and b["confirmed_at"]
    assert [r["email"] for r in await service.export("bimestrielle", "confirmed")] == [
        "b@exemple.fr"
    ]
    assert await service.export("adherents-flash") == []
    with pytest.raises(UserError, match="statut inconnu"):
        await service.export("bimestrielle", "actif")
    with pytest.raises(ConfigError, match="liste inconnue"):
        await service.export("nope")
