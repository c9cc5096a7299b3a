"""Slow clients and connection floods, over raw sockets on loopback against the hub's runner:
a request head or body that does not arrive in time ends the connection, and one address
cannot hold more than its share of connections. Short limits are configured for the test."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hub.config import Config
from hub.db import Database
from hub.web.app import create_app
from hub.web.connections import address_key
from hub.web.webhooks import PUBLIC_KEY_ENV
from loopback.webhook_signing import new_key, public_key_b64, signed_headers
from tests.support.raw_http import RawResponse, exchange, hub_server, request

SHORT = 0.5  # seconds: the header and body timeouts of these tests
PATIENCE = 10.0  # seconds a test waits for the server before it fails
CAP = 3


@pytest.fixture
def limited(config: Config, db: Database, monkeypatch: pytest.MonkeyPatch) -> Config:
    web = dataclasses.replace(
        config.web,
        header_timeout_seconds=SHORT,
        body_timeout_seconds=SHORT,
        max_connections_per_address=CAP,
    )
    return dataclasses.replace(config, web=web)


@pytest.fixture
async def port(limited: Config) -> AsyncIterator[int]:
    async with hub_server(create_app(limited), limited.web) as served:
        yield served


async def read_all(reader: asyncio.StreamReader) -> RawResponse:
    """What the server sends until it closes the connection (the test fails if it never does)."""
    return RawResponse(await asyncio.wait_for(reader.read(), PATIENCE))


async def test_a_client_that_sends_half_a_request_head_and_waits_is_disconnected(
    port: int,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lent: ")
    await writer.drain()

    answer = await read_all(reader)

    assert answer.raw == b""  # closed, nothing answered to half a request
    writer.close()


async def test_a_client_that_trickles_its_head_byte_by_byte_is_disconnected_too(
    port: int,
) -> None:
    """The deadline counts from the connection's opening, not from the last byte received."""
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Lent: " + b"a" * 200 + b"\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0

    async def trickle() -> None:
        nonlocal sent
        for byte in head:
            writer.write(bytes([byte]))
            await writer.drain()
            sent += 1
            await asyncio.sleep(SHORT / 10)

    trickling = asyncio.create_task(trickle())
    try:
        answer = await read_all(reader)
    finally:
        trickling.cancel()
    assert answer.raw == b""
    assert sent < len(head)  # cut off before the head was complete
    writer.close()


async def test_a_form_body_that_stops_arriving_gets_a_french_408_and_nothing_is_saved(
    port: int, db: Database
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = request(
        "POST",
        "/abonnement",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "500"},
    )
    writer.write(head + b"email=lent%40cpts-exemple.fr&prenom=Lent")
    await writer.drain()

    answer = await read_all(reader)  # the server closes after its answer

    assert answer.status == 408
    assert "Délai dépassé".encode() in answer.body
    assert answer.header("Connection").lower() == "close"
    async with db.conn.execute("SELECT COUNT(*) FROM subscribers") as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [(0,)]
    writer.close()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> ec.EllipticCurvePrivateKey:
    """SendGrid's key, in the environment before the hub starts (it is read then)."""
    private = new_key()
    monkeypatch.setenv(PUBLIC_KEY_ENV, public_key_b64(private))
    return private


async def test_a_webhook_body_that_stops_arriving_gets_a_json_408(
    key: ec.EllipticCurvePrivateKey, port: int
) -> None:
    body = b'[{"event": "open", "email": "alice@cpts-exemple.fr"}]'
    headers = signed_headers(key, body, int(time.time())) | {"Content-Length": str(len(body))}
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request("POST", "/webhooks/sendgrid", headers=dict(headers)) + body[:10])
    await writer.drain()

    answer = await read_all(reader)

    assert answer.status == 408
    assert json.loads(answer.body) == {"error": "request too slow"}
    writer.close()


async def hold(port: int) -> asyncio.StreamWriter:
    """A connection kept open by a request head that never ends (its timeout is long here)."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    return writer


@pytest.fixture
async def patient_port(limited: Config) -> AsyncIterator[int]:
    """The hub with the connection cap, and a head timeout long enough to hold connections."""
    web = dataclasses.replace(limited.web, header_timeout_seconds=60)
    async with hub_server(create_app(limited), web) as served:
        yield served


async def test_one_address_gets_a_french_429_past_its_cap_and_others_are_served(
    patient_port: int,
) -> None:
    held = [await hold(patient_port) for _ in range(CAP)]
    healthz = request("GET", "/healthz")

    refused = await exchange(patient_port, healthz, timeout=PATIENCE)
    assert refused.status == 429
    assert b"Trop de connexions" in refused.body
    assert refused.header("Connection").lower() == "close"

    # Another address (127.0.0.2 is loopback too on Linux) has its own count.
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", patient_port, local_addr=("127.0.0.2", 0)
    )
    writer.write(healthz)
    assert (await read_all(reader)).status == 200
    writer.close()

    # A connection closed frees its place (once the server has seen it go).
    held.pop().close()
    for _ in range(100):
        answer = await exchange(patient_port, healthz, timeout=PATIENCE)
        if answer.status != 429:
            break
        await asyncio.sleep(0.05)
    assert answer.status == 200
    for writer in held:
        writer.close()


@pytest.mark.parametrize(
    ("peername", "key"),
    [
        (("203.0.113.7", 51000), "203.0.113.7"),
        (("2001:db8:1:2:aaaa::1", 51000, 0, 0), "2001:db8:1:2::/64"),
        (("2001:db8:1:2:bbbb::9", 51000, 0, 0), "2001:db8:1:2::/64"),  # same machine's /64
        (("::ffff:203.0.113.7", 51000, 0, 0), "203.0.113.7"),
        (("fe80::1%eth0", 51000, 0, 2), "fe80::/64"),
        ("/run/hub.sock", None),  # a Unix socket: nothing to count by
        (None, None),
    ],
)
def test_connections_are_counted_by_ipv4_address_or_ipv6_64(
    peername: object, key: str | None
) -> None:
    assert address_key(peername) == key
