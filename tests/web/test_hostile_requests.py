"""Every route of the hub, sent every kind of malformed request as raw bytes: each answer is a
4xx (or a normal page) in French, or JSON on the JSON routes; never a 500, never a traceback,
in the answer or in the logs.

The routes are read from the application's router, so a route added later is covered without
touching this file. Each route's parameters get valid values where the hub can make them (an
archived issue, a published event, signed links for a real person) so that hostile bodies reach
the handlers, then hostile values one at a time.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from hub.config import Config
from hub.db import Database
from hub.events.service import Events, NewEvent
from hub.subscribers.service import Consent, Person, Subscribers
from hub.tokens import TokenSigner
from hub.web import SERVICES_KEY
from hub.web.app import create_app
from hub.web.webhooks import PUBLIC_KEY_ENV
from loopback.webhook_signing import new_key, public_key_b64
from tests.support.raw_http import exchange, hub_server, request
from tests.web.conftest import seed_archive

PARAM = re.compile(r"\{(\w+)\}")
HUGE = "9" * 30  # beyond SQLite's 64-bit integers, and beyond what a C long holds


@dataclass(frozen=True)
class Route:
    method: str
    formatter: str  # "/u/{token}"

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.formatter)

    def path(self, values: dict[str, str], **hostile: bytes) -> bytes:
        """The route's path with valid values, but the `hostile` ones (raw bytes) where given."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return f"\0{name}\0" if name in hostile else values.get(name, "x")

        path = PARAM.sub(fill, self.formatter).encode()
        for name, raw in hostile.items():
            path = path.replace(f"\0{name}\0".encode(), raw)
        return path


@dataclass
class Site:
    port: int
    routes: list[Route]
    values: dict[str, dict[str, str]]  # formatter -> parameter -> valid value

    def path(self, route: Route, **hostile: bytes) -> bytes:
        return route.path(self.values.get(route.formatter, {}), **hostile)


def routes_of(app: web.Application) -> list[Route]:
    found = []
    for route in app.router.routes():
        assert route.resource is not None
        found.append(Route(route.method, route.resource.canonical))
    return found


@pytest.fixture
async def site(
    config: Config, db: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Site]:
    monkeypatch.setenv(PUBLIC_KEY_ENV, public_key_b64(new_key()))
    await seed_archive(db)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    event = await Events(db, config).create(
        NewEvent(
            title="Webinaire public",
            kind="reunion-flash",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            audience="public",
            publish=True,
        )
    )
    subscribers = Subscribers(db, config)
    consent = Consent(source="cli", text="Import de test", version="t1")
    await subscribers.subscribe(
        Person(email="alice@cpts-exemple.fr", first_name="Alice"),
        ["bimestrielle"],
        consent,
        confirmed=False,
    )
    alice = await subscribers.find("alice@cpts-exemple.fr")
    assert alice is not None
    sign = TokenSigner.for_config(config).make
    values = {
        "/archives/{edition}/{number}": {"edition": "bimestrielle", "number": "1"},
        "/archives/{edition}/{number}.txt": {"edition": "bimestrielle", "number": "1"},
        "/confirmer/{token}": {
            "token": sign("confirm", alice.id, "bimestrielle", nonce=alice.token_nonce)
        },
        "/preferences/{token}": {
            "token": sign("preferences", alice.id, "*", nonce=alice.token_nonce)
        },
        "/u/{token}": {
            "token": sign("unsubscribe", alice.id, "bimestrielle", nonce=alice.token_nonce)
        },
        "/evenements/{slug}": {"slug": event.slug},
        "/evenements/mes-inscriptions/{token}": {
            "token": sign("registrations", alice.id, "*", nonce=alice.token_nonce)
        },
        "/evenements/offre/{token}": {
            "token": sign("offer", alice.id, "1", nonce=alice.token_nonce)
        },
    }
    app = create_app(config)
    async with hub_server(app, config.web) as port:
        yield Site(port, routes_of(app), values)


# --- The hostile variants ---------------------------------------------------------------------
# Each makes the raw requests of one route (none when it does not apply to that route).

Variant = Callable[[Site, Route], list[bytes]]


def in_path(*raw_values: bytes) -> Variant:
    """Each dynamic parameter replaced, one at a time, by each raw value."""

    def make(site: Site, route: Route) -> list[bytes]:
        return [
            request(route.method, site.path(route, **{name: raw}))
            for name in route.params
            for raw in raw_values
        ]

    return make


def in_query(query: bytes) -> Variant:
    def make(site: Site, route: Route) -> list[bytes]:
        return [request(route.method, site.path(route) + b"?" + query)]

    return make


def with_body(content_type: str | bytes, body: bytes, **headers: str) -> Variant:
    """A body sent to every route that takes one (and to the others, which must not care)."""

    def make(site: Site, route: Route) -> list[bytes]:
        if route.method in ("GET", "HEAD"):
            return []
        given = {"Content-Type": content_type, **headers}
        return [request(route.method, site.path(route), headers=given, body=body)]

    return make


def with_header(name: str, value: bytes) -> Variant:
    def make(site: Site, route: Route) -> list[bytes]:
        return [request(route.method, site.path(route), headers={name: value})]

    return make


FORM = "application/x-www-form-urlencoded"
FIELDS = ("email", "prenom", "nom", "listes", "consentement", "inscription", "action", "q-jours")


def form_of(value: bytes) -> bytes:
    return b"&".join(name.encode() + b"=" + value for name in FIELDS)


def deeply_nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


VARIANTS: dict[str, Variant] = {
    "exposant dans le chemin (²)": in_path(b"%C2%B2", "²".encode()),
    "chiffres arabes dans le chemin": in_path(b"%D9%A3", "٣".encode()),
    "entier hors de portée de SQLite": in_path(HUGE.encode(), b"-" + HUGE.encode()),
    "octet NUL dans le chemin": in_path(b"%00", b"abc%00def"),
    "UTF-8 invalide dans le chemin": in_path(b"%FF%FE", b"\xff\xfe", b"%C0%AF"),
    "jeton très long": in_path(b"A" * 7000, b"A" * 9000),
    "requête avec UTF-8 invalide": in_query(b"cle=%FF%FE&x=%C0"),
    "requête avec NUL et exposant": in_query("cle=%00&cle=²".encode()),
    "requête très longue": in_query(b"cle=" + b"A" * 7000),
    "multipart sans boundary": with_body("multipart/form-data", b"email=a"),
    "multipart sans fin": with_body("multipart/form-data; boundary=XyZ", b"--XyZ\r\nnimporte"),
    "multipart au charset inconnu": with_body(
        "multipart/form-data; boundary=XyZ",
        b'--XyZ\r\nContent-Disposition: form-data; name="email"\r\n'
        b"Content-Type: text/plain; charset=klingon\r\n\r\nabc\r\n--XyZ--\r\n",
    ),
    "formulaire au charset inconnu": with_body(f"{FORM}; charset=klingon", form_of(b"a")),
    "formulaire en UTF-8 invalide": with_body(FORM, form_of(b"\xff\xfe\xc0")),
    "formulaire avec octets NUL": with_body(FORM, form_of(b"a%00b") + b"&x=\x00"),
    "formulaire avec entiers énormes": with_body(FORM, form_of(HUGE.encode())),
    "formulaire avec exposants": with_body(FORM, form_of("²".encode())),
    "corps gzip qui n'en est pas": with_body(FORM, b"email=abc", **{"Content-Encoding": "gzip"}),
    "corps gzip tronqué": with_body(
        FORM, gzip.compress(form_of(b"a"))[:-8], **{"Content-Encoding": "gzip"}
    ),
    "morceaux mal formés": with_body(
        FORM, b"zz\r\nemail=a\r\n0\r\n\r\n", **{"Transfer-Encoding": "chunked"}
    ),
    "JSON au charset inconnu": with_body("application/json; charset=klingon", b"[]"),
    "JSON imbriqué très profond": with_body("application/json", deeply_nested(5000)),
    "type de contenu illisible": with_body(b';;;="\\', b"abc"),
    "en-tête avec octet NUL": with_header("X-Essai", b"a\x00b"),
    "longueur de corps démesurée": with_header("Content-Length", HUGE.encode()),
    "hôte non ASCII": with_header("Host", "exposant²".encode()),
    "cookie en UTF-8 invalide": with_header("Cookie", b"a=\xff\xfe"),
}


def french_or_json(answer_type: str, body: bytes) -> bool:
    if answer_type.startswith("application/json"):
        try:
            json.loads(body)
        except ValueError:
            return False
        return True
    return answer_type.startswith("text/html") and b'<html lang="fr"' in body


@pytest.mark.parametrize("variant", list(VARIANTS), ids=list(VARIANTS))
async def test_a_hostile_request_gets_a_french_4xx_and_no_traceback_on_every_route(
    site: Site, variant: str, caplog: pytest.LogCaptureFixture
) -> None:
    sent, problems = 0, []
    with caplog.at_level(logging.DEBUG):
        for route in site.routes:
            for data in VARIANTS[variant](site, route):
                sent += 1
                answer = await exchange(site.port, data)
                where = f"{route.method} {route.formatter}: {data[:120]!r}"
                if not 200 <= answer.status < 500:
                    problems.append(f"{answer.status} for {where}")
                elif b"Traceback" in answer.raw:
                    problems.append(f"traceback in the answer to {where}")
                elif (
                    answer.status >= 400
                    and route.method != "HEAD"
                    and not french_or_json(answer.header("Content-Type"), answer.body)
                ):
                    problems.append(f"{answer.status} not in French nor JSON for {where}")
    assert sent > 0
    traced = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    problems += [
        f"logged: {r.name} {r.getMessage()} {r.exc_info and r.exc_info[0]}" for r in traced
    ]
    assert not problems, "\n".join(problems[:20])


async def test_every_route_is_exercised_with_valid_values_where_it_has_parameters(
    site: Site,
) -> None:
    """So that hostile bodies reach the handlers, past their signed link or event: a new
    route with parameters needs its valid values here (its hostile ones need nothing)."""
    dynamic = {route.formatter for route in site.routes if route.params}
    assert dynamic, "the router lists no route with parameters: the table tests nothing"
    assert dynamic <= set(site.values), dynamic - set(site.values)


async def test_an_integer_too_large_for_sqlite_that_no_parser_stopped_is_a_400(
    config: Config, db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The safety net behind `parse_id`: a route that forgot it (added here for the test)
    still answers a French 400, logged as one line."""
    app = create_app(config)

    async def careless(request: web.Request) -> web.Response:
        async with request.app[SERVICES_KEY].db.conn.execute(
            "SELECT ?", (int(request.match_info["n"]),)
        ) as cursor:
            await cursor.fetchall()
        return web.Response(text="ok")

    app.router.add_get("/essai/{n}", careless)
    with caplog.at_level(logging.INFO):
        async with hub_server(app, config.web) as port:
            answer = await exchange(port, request("GET", f"/essai/{HUGE}"))
            fine = await exchange(port, request("GET", "/essai/12"))

    assert (answer.status, fine.status) == (400, 200)
    assert french_or_json(answer.header("Content-Type"), answer.body)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
