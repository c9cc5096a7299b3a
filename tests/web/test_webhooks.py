"""SendGrid's signed Event Webhook over real HTTP on loopback, on a real SQLite database.

Requests are signed as SendGrid signs them (loopback/webhook_signing.py, checked here
against SendGrid's own verifier and test vector); campaigns and send log rows are inserted
with plain SQL to give the events' custom args something to point at.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook

from hub.config import Config
from hub.db import Database
from hub.subscribers.service import Consent, Person, Subscribers
from hub.web.app import create_app
from hub.web.webhooks import PUBLIC_KEY_ENV, load_public_key, verify_signature
from loopback.webhook_signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    new_key,
    public_key_b64,
    public_key_pem,
    sign,
    signed_headers,
)

URL = "/webhooks/sendgrid"
CONSENT = Consent(source="cli", text="Import de test", version="t1")
MAX_BYTES = 4096


@pytest.fixture
def config_path(config_path: Path) -> Path:
    """The shipped configuration with a small body cap, so "too large" costs nothing."""
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace("[sendgrid]", f"[sendgrid]\nwebhook_max_bytes = {MAX_BYTES}", 1),
        encoding="utf-8",
    )
    return config_path


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the app opens the database, which records the key's fingerprint."""


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> ec.EllipticCurvePrivateKey:
    private = new_key()
    monkeypatch.setenv(PUBLIC_KEY_ENV, public_key_b64(private))
    return private


def started(config: Config) -> TestClient:
    """A client of a new hub: its key is read from the environment when it starts."""
    return TestClient(TestServer(create_app(config)))


@pytest.fixture
async def client(
    config: Config, db: Database, key: ec.EllipticCurvePrivateKey
) -> AsyncIterator[TestClient]:
    assert config.sendgrid.webhook_max_bytes == MAX_BYTES
    async with started(config) as test_client:
        yield test_client


async def post_signed(
    client: TestClient,
    key: ec.EllipticCurvePrivateKey,
    payload: Any,
    *,
    timestamp: int | None = None,
) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload).encode()
    headers = signed_headers(key, body, int(time.time()) if timestamp is None else timestamp)
    response = await client.post(URL, data=body, headers=headers)
    return response.status, await response.json()


async def rows(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with db.conn.execute(sql, params) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


class World:
    """Six confirmed subscribers, each on the open list and the flash list, one campaign on
    the open list with a send log row each."""

    def __init__(self, ids: dict[str, int], send_log: dict[str, int], campaign_id: int):
        self.ids, self.send_log, self.campaign_id = ids, send_log, campaign_id

    def event(self, name: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "email": f"{name}@cpts-exemple.fr",
            "timestamp": 1_796_000_000,
            "event": kind,
            "sg_event_id": f"evt-{name}-{kind}-{extra.pop('n', 0)}",
            "sg_message_id": f"msg-{name}.filter0001",
            "campaign_id": str(self.campaign_id),
            "send_log_id": str(self.send_log[name]),
            **extra,
        }


NAMES = ("alice", "bruno", "chloe", "denis", "elise", "fanny")


@pytest.fixture
async def world(db: Database, config: Config, key: ec.EllipticCurvePrivateKey) -> World:
    service = Subscribers(db, config)
    ids = {}
    for name in NAMES:
        person = Person(email=f"{name}@cpts-exemple.fr", first_name=name.title(), member=True)
        await service.subscribe(
            person, ["bimestrielle", "adherents-flash"], CONSENT, confirmed=True
        )
        found = await service.find(person.email)
        assert found is not None
        ids[name] = found.id
    now = "2026-12-01T09:00:00+00:00"
    campaign_id = await db.conn.execute(
        "INSERT INTO campaigns (edition, issue_number, list, subject, html, text, status, "
        "created_at, updated_at) VALUES ('bimestrielle', 7, 'bimestrielle', 'La lettre n° 7', "
        "'<p>x</p>', 'x', 'sent', ?, ?)",
        (now, now),
    )
    campaign = campaign_id.lastrowid
    send_log = {}
    for name in NAMES:
        cursor = await db.conn.execute(
            "INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status, "
            "updated_at) VALUES (?, 0, ?, ?, 'accepted', ?)",
            (campaign, ids[name], f"{name}@cpts-exemple.fr", now),
        )
        send_log[name] = cursor.lastrowid
    await db.conn.commit()
    assert campaign is not None
    return World(ids, send_log, campaign)


def batch(world: World) -> list[dict[str, Any]]:
    return [
        world.event("alice", "delivered"),
        world.event("alice", "open"),
        world.event("alice", "click", url="https://www.fcpts.org/actualites/rentree"),
        world.event("bruno", "bounce", type="bounce", reason="550 5.1.1 User unknown"),
        world.event("chloe", "bounce", type="blocked", reason="421 Try again later"),
        world.event("denis", "spamreport"),
        world.event("elise", "unsubscribe"),
        world.event("fanny", "dropped", reason="Bounced Address"),
        world.event("fanny", "processed"),
    ]


async def statuses(db: Database, config: Config, world: World, name: str) -> dict[str, str]:
    return await Subscribers(db, config).subscriptions(world.ids[name])


async def test_signed_batch_is_recorded_with_its_effects(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World, db: Database, config: Config
) -> None:
    status, answer = await post_signed(client, key, batch(world))

    assert status == 200
    assert answer == {
        "recorded": 8,
        "duplicates": 0,
        "ignored": 1,
        "suppressed": 3,
        "unsubscribed": 1,
    }
    service = Subscribers(db, config)
    both = {"bimestrielle", "adherents-flash"}
    assert await statuses(db, config, world, "bruno") == dict.fromkeys(both, "bounced")
    assert await service.is_suppressed("bruno@cpts-exemple.fr")
    assert await statuses(db, config, world, "denis") == dict.fromkeys(both, "complained")
    assert await service.is_suppressed("denis@cpts-exemple.fr")
    # SendGrid dropped the message because it holds the address as bounced: so do we.
    assert await statuses(db, config, world, "fanny") == dict.fromkeys(both, "bounced")
    assert await service.is_suppressed("fanny@cpts-exemple.fr")
    for name in ("alice", "chloe"):  # delivered, soft bounce: nothing changes
        assert await statuses(db, config, world, name) == dict.fromkeys(both, "confirmed")
        assert not await service.is_suppressed(f"{name}@cpts-exemple.fr")
    # The unsubscription ends the campaign's list only, with its proof.
    assert await statuses(db, config, world, "elise") == {
        "bimestrielle": "unsubscribed",
        "adherents-flash": "confirmed",
    }
    consents = await rows(
        db,
        "SELECT list, action, source FROM consents WHERE subscriber_id = ? AND action = "
        "'unsubscribe'",
        world.ids["elise"],
    )
    assert consents == [("bimestrielle", "unsubscribe", "email")]

    recorded = await rows(
        db,
        "SELECT event_id, event, campaign_id, send_log_id, subscriber_id, detail, occurred_at "
        "FROM delivery_events ORDER BY event_id",
    )
    expected = sorted(
        (
            f"evt-{name}-{kind}-0",
            kind,
            world.campaign_id,
            world.send_log[name],
            world.ids[name],
            detail,
            "2026-11-30T00:53:20+00:00",
        )
        for name, kind, detail in [
            ("alice", "delivered", ""),
            ("alice", "open", ""),
            ("alice", "click", "https://www.fcpts.org/actualites/rentree"),
            ("bruno", "bounce", "bounce: 550 5.1.1 User unknown"),
            ("chloe", "bounce", "blocked: 421 Try again later"),
            ("denis", "spamreport", ""),
            ("elise", "unsubscribe", ""),
            ("fanny", "dropped", "Bounced Address"),
        ]
    )
    assert recorded == expected


async def test_the_same_batch_twice_counts_once(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World, db: Database
) -> None:
    events = batch(world)
    await post_signed(client, key, events)
    consents_before = await rows(db, "SELECT COUNT(*) FROM consents")

    status, answer = await post_signed(client, key, [*events, world.event("alice", "open", n=1)])

    assert status == 200
    assert answer == {
        "recorded": 1,
        "duplicates": 8,
        "ignored": 1,
        "suppressed": 0,
        "unsubscribed": 0,
    }
    assert await rows(db, "SELECT COUNT(*) FROM delivery_events") == [(9,)]
    assert await rows(db, "SELECT COUNT(*) FROM consents") == consents_before


async def test_an_event_repeated_within_one_batch_counts_once(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World, db: Database
) -> None:
    event = world.event("elise", "group_unsubscribe")
    status, answer = await post_signed(client, key, [event, event])
    assert status == 200
    assert (answer["recorded"], answer["duplicates"], answer["unsubscribed"]) == (1, 1, 1)


async def test_events_without_custom_args_are_tied_by_address(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World, db: Database, config: Config
) -> None:
    """A confirmation e-mail carries no campaign: its unsubscribe ends every list, and an
    unknown campaign or send log id is not taken for a real one."""
    event = world.event("alice", "unsubscribe", campaign_id="999", send_log_id="abc")
    event["email"] = "  Alice@CPTS-exemple.fr "
    status, answer = await post_signed(client, key, [event])

    assert status == 200
    assert answer["unsubscribed"] == 2
    assert set((await statuses(db, config, world, "alice")).values()) == {"unsubscribed"}
    assert await rows(
        db, "SELECT campaign_id, send_log_id, subscriber_id FROM delivery_events"
    ) == [(None, None, world.ids["alice"])]


async def test_an_event_without_id_is_still_counted_once(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World, db: Database
) -> None:
    event = world.event("alice", "open")
    del event["sg_event_id"]
    await post_signed(client, key, [event])
    status, answer = await post_signed(client, key, [event])
    assert status == 200
    assert (answer["recorded"], answer["duplicates"]) == (0, 1)
    assert await rows(db, "SELECT COUNT(*) FROM delivery_events") == [(1,)]


def _tampered(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body.replace(b"bounce", b"blocked"), headers


def _other_key(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {**headers, SIGNATURE_HEADER: sign(new_key(), body, headers[TIMESTAMP_HEADER])}


def _garbage_signature(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {**headers, SIGNATURE_HEADER: "MEUCIQDpas-une-signature=="}


def _unsigned(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {"Content-Type": "application/json"}


def _no_timestamp(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {k: v for k, v in headers.items() if k != TIMESTAMP_HEADER}


def _timestamp_swapped(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A valid signature replayed with a fresher timestamp."""
    return body, {**headers, TIMESTAMP_HEADER: str(int(headers[TIMESTAMP_HEADER]) + 60)}


@pytest.mark.parametrize(
    ("name", "age", "alter"),
    [
        ("body altered after signing", 0, _tampered),
        ("signed by another key", 0, _other_key),
        ("not a signature", 0, _garbage_signature),
        ("unsigned", 0, _unsigned),
        ("no timestamp", 0, _no_timestamp),
        ("timestamp changed after signing", 0, _timestamp_swapped),
        ("stale", 301, None),
        ("from the future", -301, None),
    ],
)
async def test_untrusted_requests_are_refused_and_change_nothing(
    client: TestClient,
    key: ec.EllipticCurvePrivateKey,
    world: World,
    db: Database,
    config: Config,
    name: str,
    age: int,
    alter: Any,
) -> None:
    assert config.sendgrid.webhook_max_age_seconds == 300
    body = json.dumps(batch(world)).encode()
    headers = signed_headers(key, body, int(time.time()) - age)
    if alter is not None:
        body, headers = alter(body, headers)

    response = await client.post(URL, data=body, headers=headers)

    assert response.status == 403, name
    assert await rows(db, "SELECT COUNT(*) FROM delivery_events") == [(0,)]
    assert not await Subscribers(db, config).is_suppressed("bruno@cpts-exemple.fr")


async def test_timestamps_just_inside_the_window_are_accepted(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World
) -> None:
    for age in (290, -290):
        status, _ = await post_signed(
            client, key, [world.event("alice", "open", n=age)], timestamp=int(time.time()) - age
        )
        assert status == 200


async def test_without_a_configured_key_everything_is_refused_and_logged(
    config: Config,
    key: ec.EllipticCurvePrivateKey,
    world: World,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(PUBLIC_KEY_ENV)
    async with started(config) as client:
        body = json.dumps(batch(world)).encode()
        headers = signed_headers(key, body, int(time.time()))
        with caplog.at_level(logging.INFO):
            response = await client.post(URL, data=body, headers=headers)

        assert response.status == 403
        assert await rows(db, "SELECT COUNT(*) FROM delivery_events") == [(0,)]
        logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        assert PUBLIC_KEY_ENV in logged
        assert headers[SIGNATURE_HEADER] not in logged


async def test_an_unusable_key_is_refused_and_logged_without_the_key(
    config: Config,
    key: ec.EllipticCurvePrivateKey,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(PUBLIC_KEY_ENV, "cGFzIHVuZSBjbMOp")
    async with started(config) as client:
        with caplog.at_level(logging.INFO):
            status, answer = await post_signed(client, key, batch(world))
        assert (status, answer) == (403, {"error": "webhook not configured"})
        logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        assert PUBLIC_KEY_ENV in logged and "cGFzIHVuZSBjbMOp" not in logged


async def test_a_pem_key_works_too(
    config: Config,
    key: ec.EllipticCurvePrivateKey,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PUBLIC_KEY_ENV, public_key_pem(key))
    async with started(config) as client:
        status, answer = await post_signed(client, key, [world.event("alice", "open")])
        assert (status, answer["recorded"]) == (200, 1)


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_cap_is_refused(
    client: TestClient,
    key: ec.EllipticCurvePrivateKey,
    world: World,
    db: Database,
    chunked: bool,
) -> None:
    events = [world.event("alice", "open", n=i) for i in range(40)]
    body = json.dumps(events).encode()
    assert len(body) > MAX_BYTES
    headers = signed_headers(key, body, int(time.time()))

    async def stream() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    response = await client.post(URL, data=stream() if chunked else body, headers=headers)

    assert response.status == 413
    assert await rows(db, "SELECT COUNT(*) FROM delivery_events") == [(0,)]


@pytest.mark.parametrize("body", [b"pas du JSON", b'{"event": "open"}', b"\xff\xfe"])
async def test_signed_bodies_that_are_not_event_lists_are_bad_requests(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World, body: bytes
) -> None:
    response = await client.post(
        URL, data=body, headers=signed_headers(key, body, int(time.time()))
    )
    assert response.status == 400


# SendGrid's own test vector (sendgrid-python, test/unit/test_eventwebhook.py): a real
# signature, over a body that ends with CRLF as SendGrid sends it.
SENDGRID_PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw"
    "+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SENDGRID_SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZ"
    "tM="
)
SENDGRID_TIMESTAMP = "1600112502"
SENDGRID_BODY = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": (
                    "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"
                ),
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"
).encode()


def test_a_real_sendgrid_signature_verifies() -> None:
    key = load_public_key(SENDGRID_PUBLIC_KEY)
    assert verify_signature(key, SENDGRID_BODY, SENDGRID_TIMESTAMP, SENDGRID_SIGNATURE)
    assert not verify_signature(key, SENDGRID_BODY[:-2], SENDGRID_TIMESTAMP, SENDGRID_SIGNATURE)
    assert not verify_signature(key, SENDGRID_BODY, "1600112503", SENDGRID_SIGNATURE)


def test_our_test_signatures_verify_with_sendgrids_own_verifier() -> None:
    """tests/support signs exactly as SendGrid does: its library accepts our signatures."""
    private = new_key()
    body = b'[{"event":"open"}]\r\n'
    verifier = EventWebhook(public_key_b64(private))
    assert verifier.verify_signature(body.decode(), sign(private, body, 1796000000), "1796000000")
    assert not verifier.verify_signature(body.decode(), sign(new_key(), body, 1), "1")


@pytest.mark.parametrize("text", ["", "pas une clé", "QUJD", "-----BEGIN PUBLIC KEY-----\nQUJD"])
def test_unusable_keys_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        load_public_key(text)


def test_a_key_on_another_curve_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization

    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="P-256"):
        load_public_key(pem.decode())


HUGE_ID = "9" * 30  # beyond SQLite's integers


async def test_a_malformed_item_is_skipped_and_the_rest_of_its_batch_applied(
    client: TestClient,
    key: ec.EllipticCurvePrivateKey,
    world: World,
    db: Database,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A real hard bounce next to broken items still suppresses its address."""
    events: list[Any] = [
        {**world.event("alice", "open"), "event": ["bounce"]},  # unhashable
        {**world.event("alice", "click"), "event": {"type": "click"}},
        "pas un événement",
        world.event("bruno", "bounce", type="bounce", reason="550 5.1.1 User unknown"),
        # Ids out of range or in other digits are not ids: tied by the address instead.
        world.event("chloe", "open", campaign_id=HUGE_ID, send_log_id="²"),
        world.event("denis", "open", campaign_id=2**70, send_log_id=-3, sg_event_id=7),
        {**world.event("elise", "spamreport"), "email": ["elise@cpts-exemple.fr"]},
    ]
    with caplog.at_level(logging.INFO):
        status, answer = await post_signed(client, key, events)

    assert status == 200
    assert answer == {
        "recorded": 4,
        "duplicates": 0,
        "ignored": 3,
        "suppressed": 2,  # elise's report, its address unreadable, found by its send log row
        "unsubscribed": 0,
    }
    for name in ("bruno", "elise"):
        assert await Subscribers(db, config).is_suppressed(f"{name}@cpts-exemple.fr")
    assert await rows(
        db,
        "SELECT event, campaign_id, send_log_id, subscriber_id FROM delivery_events "
        "WHERE event = 'open' ORDER BY subscriber_id",
    ) == [("open", None, None, world.ids["chloe"]), ("open", None, None, world.ids["denis"])]
    skipped = [r for r in caplog.records if r.getMessage() == "provider event skipped: malformed"]
    assert [r.__dict__["position"] for r in skipped] == [0, 1, 2]
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    "timestamp",
    ["²", "１７９６００００００", "9" * 5000, "9" * 13, "-1", "0x6B0BD200", "1796000000.5", "1e9"],
)
async def test_a_timestamp_that_is_not_a_short_number_is_refused_before_the_body_is_read(
    client: TestClient,
    key: ec.EllipticCurvePrivateKey,
    world: World,
    db: Database,
    timestamp: str,
) -> None:
    """Signed with that very timestamp, and over the size cap: the header alone decides."""
    events = [world.event("bruno", "bounce", type="bounce", n=i) for i in range(40)]
    body = json.dumps(events).encode()
    assert len(body) > MAX_BYTES
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(key, body, timestamp),
        TIMESTAMP_HEADER: timestamp,
    }

    response = await client.post(URL, data=body, headers=headers)

    assert response.status == 403
    assert await response.json() == {"error": "malformed timestamp"}
    assert await rows(db, "SELECT COUNT(*) FROM delivery_events") == [(0,)]


@pytest.mark.parametrize("depth", [33, 1500])
async def test_deeply_nested_json_is_refused_before_it_is_parsed(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World, db: Database, depth: int
) -> None:
    nested = "[" * (depth - 2) + "]" * (depth - 2)  # inside the array and its event object
    body = json.dumps([world.event("bruno", "bounce", type="bounce")])[:-2].encode()
    body += f', "extra": {nested}}}]'.encode()
    assert len(body) <= MAX_BYTES

    response = await client.post(
        URL, data=body, headers=signed_headers(key, body, int(time.time()))
    )

    assert (response.status, await response.json()) == (400, {"error": "JSON nested too deep"})
    assert await rows(db, "SELECT COUNT(*) FROM delivery_events") == [(0,)]


async def test_nesting_up_to_the_limit_is_accepted(
    client: TestClient, key: ec.EllipticCurvePrivateKey, world: World
) -> None:
    """Brackets inside strings do not count; 32 levels are fine."""
    nested = "[" * 30 + "]" * 30
    event = world.event("alice", "click", url="https://exemple.fr/?q=[[[[[[[[[[[[[[[[[[[[[[[[[")
    body = json.dumps([event])[:-2].encode() + f', "extra": {nested}}}]'.encode()

    response = await client.post(
        URL, data=body, headers=signed_headers(key, body, int(time.time()))
    )

    assert response.status == 200
    assert (await response.json())["recorded"] == 1
