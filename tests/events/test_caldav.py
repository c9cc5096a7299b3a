"""The invitations as mailed, accepted by a real CalDAV server: Radicale, started on loopback with
its own storage folder and no authentication. Each `.ics` taken from an e-mail of the outbox is
PUT into a calendar (MKCALENDAR), then read back (GET, and a REPORT whose time range only
matches if the server understood the TZID and its VTIMEZONE). The update replaces the entry
(same UID, higher SEQUENCE), the cancellation too.

Radicale stores the objects with the iTIP METHOD they carry (RFC 4791 §4.1 would have a client
drop it first, RFC 6638 servers do when they file an invitation): the test puts them exactly as
mailed, the stricter check.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from icalendar import Calendar
from icalendar import Event as VEvent

from hub.config import Config
from hub.db import Database
from hub.events.model import Event, EventChanges
from hub.events.service import Events
from tests.events.conftest import MakeEvent
from tests.events.support_mail import deliver, ics_of, mails_to, person

VIDEO = "https://visio.fcpts.org/reunion-flash-segur"
START = datetime(2027, 3, 10, 13, 0, tzinfo=UTC)  # 14h in Paris
DAV = "{DAV:}"
# Radicale's auth "none" lets any name in; the name owns its calendars (/fcpts/…).
AUTH = {"Authorization": aiohttp.encode_basic_auth("fcpts", "sans-mot-de-passe")}
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"), timeout=1)
    except urllib.error.HTTPError:
        return True  # it answers, even if it does not like the question
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Radicale's base URL, the server running for the module's tests."""
    folder: Path = tmp_path_factory.mktemp("radicale")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",  # no configuration file of the machine or the user
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "none",
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "radicale.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while not answers(url):
            assert process.poll() is None, (folder / "radicale.log").read_text()
            assert time.monotonic() < deadline, "Radicale did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class CalendarCollection:
    """One calendar of Radicale, through its CalDAV interface."""

    session: aiohttp.ClientSession
    url: str  # ends with "/"

    async def put(self, name: str, ics: str, etag: str | None = None) -> tuple[int, str]:
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if etag:
            headers["If-Match"] = etag  # as a client replacing what it read
        async with self.session.put(f"{self.url}{name}", data=ics.encode(), headers=headers) as r:
            assert r.status in (201, 204), await r.text()
            return r.status, r.headers["ETag"]

    async def get(self, name: str) -> tuple[Calendar, str]:
        async with self.session.get(f"{self.url}{name}") as response:
            assert response.status == 200
            calendar = Calendar.from_ical(await response.text())
            assert isinstance(calendar, Calendar)
            return calendar, response.headers["ETag"]

    async def names(self) -> list[str]:
        """The objects the calendar holds (PROPFIND, depth 1)."""
        async with self.session.request("PROPFIND", self.url, headers={"Depth": "1"}) as r:
            assert r.status == 207
            tree = ET.fromstring(await r.text())
        hrefs = [h.text or "" for h in tree.iter(f"{DAV}href")]
        return sorted(h.rsplit("/", 1)[1] for h in hrefs if not h.endswith("/"))

    async def between(self, start: datetime, end: datetime) -> list[str]:
        """The objects with an event in [start, end) (REPORT calendar-query, RFC 4791 §7.8)."""
        body = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
        headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        async with self.session.request("REPORT", self.url, data=body, headers=headers) as r:
            assert r.status == 207, await r.text()
            tree = ET.fromstring(await r.text())
        return sorted((h.text or "").rsplit("/", 1)[1] for h in tree.iter(f"{DAV}href"))


@pytest.fixture
async def calendar(radicale: str) -> AsyncIterator[CalendarCollection]:
    """A new calendar in Radicale (MKCALENDAR) for this test."""
    async with aiohttp.ClientSession(headers=AUTH) as session:
        url = f"{radicale}/fcpts/{uuid.uuid4().hex}/"
        async with session.request("MKCALENDAR", url) as response:
            assert response.status == 201, await response.text()
        yield CalendarCollection(session, url)


def file_name(event: Event) -> str:
    return f"{quote(event.ics_uid, safe='')}.ics"


def mailed_ics(config: Config, email: str, subject: str, method: str) -> str:
    """The invitation of one e-mail of the outbox, exactly as its text/calendar part has it."""
    found = ics_of(mails_to(config, email)[subject])
    assert found is not None and found[0] == method
    return found[1]


def only_event(calendar: Calendar) -> VEvent:
    (entry,) = calendar.events
    return entry


async def test_radicale_keeps_the_invitation_its_update_and_the_events_cancellation(
    config: Config,
    db: Database,
    events: Events,
    make_event: MakeEvent,
    calendar: CalendarCollection,
) -> None:
    event = await make_event(starts_at=START, ends_at=START + timedelta(hours=2), video_url=VIDEO)
    email = person(1).email
    await events.register(event.id, person(1, "Marie"), source="web")
    await deliver(db, config)
    name = file_name(event)

    invitation = mailed_ics(config, email, f"Inscription confirmée : {event.title}", "REQUEST")
    assert (await calendar.put(name, invitation))[0] == 201
    stored, etag = await calendar.get(name)
    entry = only_event(stored)
    assert entry["UID"] == event.ics_uid and entry["SEQUENCE"] == 0
    assert entry["DTSTART"].params["TZID"] == "Europe/Paris"
    assert entry.decoded("DTSTART") == START
    assert str(entry["ATTENDEE"]) == f"mailto:{email}"
    assert str(entry["ORGANIZER"]) == "mailto:contact@fcpts.org"
    assert entry["LOCATION"] == VIDEO
    assert [tz["TZID"] for tz in stored.timezones] == ["Europe/Paris"]
    # 14h in Paris is 13h UTC: the server read the time in its zone.
    assert await calendar.between(START, START + timedelta(minutes=30)) == [name]
    assert await calendar.between(START - timedelta(hours=1), START) == []

    # An hour later: the update replaces the entry (same UID, SEQUENCE 1).
    moved = (await events.edit(event.id, EventChanges(starts_at=START + timedelta(hours=1)))).event
    await deliver(db, config)
    update = mailed_ics(
        config, email, f"Changement d'horaire ou de lieu : {event.title}", "REQUEST"
    )
    assert (await calendar.put(name, update, etag))[0] == 204
    stored, etag = await calendar.get(name)
    entry = only_event(stored)
    assert (
        (entry["UID"], entry["SEQUENCE"])
        == (event.ics_uid, moved.ics_sequence)
        == (
            event.ics_uid,
            1,
        )
    )
    assert entry.decoded("DTSTART") == START + timedelta(hours=1)
    assert await calendar.between(START, START + timedelta(minutes=30)) == []
    assert await calendar.between(START + timedelta(hours=1), START + timedelta(hours=2)) == [name]
    assert await calendar.names() == [name]  # one entry, not two

    # The event is cancelled: the same entry, cancelled.
    await events.cancel(event.id)
    await deliver(db, config)
    cancel = mailed_ics(config, email, f"Événement annulé : {event.title}", "CANCEL")
    assert (await calendar.put(name, cancel, etag))[0] == 204
    stored, _ = await calendar.get(name)
    entry = only_event(stored)
    assert entry["UID"] == event.ics_uid and entry["STATUS"] == "CANCELLED"
    assert entry["SEQUENCE"] >= 1
    assert VIDEO not in stored.to_ical().decode()
    assert await calendar.names() == [name]


async def test_radicale_keeps_one_persons_withdrawal(
    config: Config,
    db: Database,
    events: Events,
    make_event: MakeEvent,
    calendar: CalendarCollection,
) -> None:
    event = await make_event(
        kind="journees-nationales",
        starts_at=START,
        ends_at=START + timedelta(days=1, hours=8),
        venue="Palais 2 l'Atlantique",
        address="Bordeaux",
    )
    answers = {"profession": "Infirmière", "structure": "CPTS Exemple", "jours": "Les deux jours"}
    registered = await events.register(event.id, person(2), source="web", answers=answers)
    await deliver(db, config)
    email, name = person(2).email, file_name(event)
    invitation = mailed_ics(config, email, f"Inscription confirmée : {event.title}", "REQUEST")
    _, etag = await calendar.put(name, invitation)

    await events.cancel_registration(registered.registration.id)
    await deliver(db, config)
    withdrawal = mailed_ics(config, email, f"Inscription annulée : {event.title}", "CANCEL")
    assert (await calendar.put(name, withdrawal, etag))[0] == 204
    stored, _ = await calendar.get(name)
    entry = only_event(stored)
    assert entry["UID"] == event.ics_uid and str(entry["ATTENDEE"]) == f"mailto:{email}"
    assert entry["LOCATION"] == "Palais 2 l'Atlantique, Bordeaux"
    assert entry.decoded("DTEND") == START + timedelta(days=1, hours=8)
    assert await calendar.between(
        START + timedelta(days=1), START + timedelta(days=1, hours=1)
    ) == [name]
