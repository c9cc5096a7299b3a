"""The subscribers service on a real SQLite file: people, lists, consent, suppression, GDPR."""

from __future__ import annotations

import random
import string

import pytest
from email_validator import EmailNotValidError, validate_email

from hub.config import Config, ConfigError
from hub.db import Database
from hub.errors import UserError
from hub.keys import derived_key
from hub.subscribers.service import (
    Consent,
    InvalidEmail,
    ListOutcome,
    Person,
    Subscribers,
    email_hash,
    normalise_email,
)

WEB = Consent("web", "J'accepte de recevoir la lettre.", "2026-12", ip="192.0.2.7")
STAFF = Consent("cli", "Ajout par l'équipe.", "2026-12")


@pytest.fixture
def service(db: Database, config: Config, monkeypatch: pytest.MonkeyPatch) -> Subscribers:
    monkeypatch.setenv("HUB_SECRET_KEY", "k" * 48)
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
    shown = await service.show("b@exemple.fr")
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
        for event, detail in (("delivered", ""), ("bounce", f"550 <{email}> mailbox full")):
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

    shown = await service.show("Jeanne@Exemple.fr")
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
    assert await service.show("inconnu@exemple.fr") is None


async def test_forget_erases_the_address_everywhere_but_keeps_it_blocked(
    service: Subscribers, db: Database
) -> None:
    person = Person("effacer@exemple.fr", "Hortense", "Fontaine", "CPTS Nord", "salarie", True)
    await service.subscribe(person, ["bimestrielle", "adherents-flash"], WEB, confirmed=True)
    await service.subscribe(Person("reste@exemple.fr"), ["bimestrielle"], STAFF, confirmed=True)
    eva = await service.find(person.email)
    assert eva is not None
    await add_campaign_history(db, eva.id, eva.email)

    assert await service.forget("Effacer@Exemple.fr") is True

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
    (log,) = await table_rows(db, "send_log")
    assert log["subscriber_id"] is None and log["email"] is None and log["status"] == "accepted"
    assert all(e["subscriber_id"] is None for e in await table_rows(db, "delivery_events"))
    assert len(await table_rows(db, "subscribers")) == 1  # the other person is untouched

    assert await service.is_suppressed("effacer@exemple.fr")
    assert await service.subscribe(person, ["bimestrielle"], WEB, confirmed=True) == [
        ListOutcome("bimestrielle", "suppressed")
    ]
    assert await service.find("effacer@exemple.fr") is None


async def test_forgetting_an_unknown_address_still_blocks_it(service: Subscribers) -> None:
    assert await service.forget("jamais@exemple.fr") is False
    assert await service.is_suppressed("JAMAIS@exemple.fr")
    outcomes = await service.subscribe(
        Person("jamais@exemple.fr"), ["bimestrielle"], WEB, confirmed=False
    )
    assert outcomes == [ListOutcome("bimestrielle", "suppressed")]


async def test_suppression_hash_uses_the_suppression_key(
    service: Subscribers, db: Database, config: Config
) -> None:
    await service.suppress("x@exemple.fr", "manual")
    (row,) = await table_rows(db, "suppressions")
    assert row["email_hash"] == email_hash(derived_key(config, "suppression"), "x@exemple.fr")


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
