"""Helpers of the events' mail tests: people, the outbox read back with the `email` package, the
calendar part parsed with `icalendar`, the messages' rows, and a real SMTP relay."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP
from icalendar import Calendar

from hub.config import Config
from hub.db import Database
from hub.events.mailer import DeliveryReport, deliver_pending
from hub.mail.factory import make_messenger, outbox_folder
from hub.subscribers.service import Person
from hub.tokens import Token, TokenSigner
from tests.mail.test_smtp import Relay


def person(n: int, first_name: str = "", role: str = "salarie", member: bool = True) -> Person:
    return Person(
        f"personne{n}@cpts-exemple.fr",
        first_name or f"Prénom{n}",
        f"Nom{n}",
        "CPTS Exemple",
        role,
        member,
    )


async def deliver(db: Database, config: Config, **options: Any) -> DeliveryReport:
    """Deliver the queued messages through the configured backend (the outbox)."""
    messenger = make_messenger(config)
    try:
        return await deliver_pending(db, config, messenger, **options)
    finally:
        await messenger.close()


def outbox(config: Config) -> list[EmailMessage]:
    """Every .eml the outbox holds (in no particular order: a frozen clock names them alike)."""
    folder = outbox_folder(config) / "transactionnel"
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def to(message: EmailMessage) -> str:
    return message["To"].addresses[0].addr_spec


def mails_to(config: Config, email: str) -> dict[str, EmailMessage]:
    """One person's e-mails by subject (each subject once)."""
    mails = [m for m in outbox(config) if to(m) == email]
    subjects = [str(m["Subject"]) for m in mails]
    assert len(set(subjects)) == len(subjects), subjects
    return dict(zip(subjects, mails, strict=True))


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def ics_of(message: EmailMessage) -> tuple[str, str] | None:
    """The invitation a message carries: the method of its inline text/calendar part and its
    text (the attached invitation.ics must be the same); None without one."""
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in message.walk() if p.get_filename() == "invitation.ics"]
    if not inline:
        assert not attached
        return None
    (part,) = inline
    (attachment,) = attached
    ics = part.get_content()
    # The same invitation, whatever the line endings each transfer encoding gives back.
    assert attachment.get_content().decode("utf-8").splitlines() == ics.splitlines()
    method = part.get_param("method")
    assert isinstance(method, str)
    return method, ics


def calendar_of(message: EmailMessage) -> tuple[str, Calendar] | None:
    """The invitation a message carries, parsed back with icalendar; None without one."""
    found = ics_of(message)
    if found is None:
        return None
    method, ics = found
    calendar = Calendar.from_ical(ics)
    assert isinstance(calendar, Calendar)
    assert calendar["METHOD"] == method
    return method, calendar


def link(text: str, path: str) -> str:
    """The one absolute link of the hub to `path` in an e-mail's text."""
    (found,) = set(re.findall(rf"http://127\.0\.0\.1:8080{re.escape(path)}[\w-]+", text))
    return found


def token(config: Config, url: str, purpose: str) -> Token:
    return TokenSigner.for_config(config).read(url.rsplit("/", 1)[1], purpose)


async def rows(db: Database, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with db.conn.execute(sql, params) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def messages(db: Database) -> list[tuple[str, str, str]]:
    """(address, kind, status) of every event message, in the order they were queued."""
    found = await rows(
        db,
        "SELECT s.email, m.kind, m.status FROM event_messages AS m "
        "JOIN registrations AS r ON r.id = m.registration_id "
        "JOIN subscribers AS s ON s.id = r.subscriber_id ORDER BY m.id",
    )
    return [(row["email"], row["kind"], row["status"]) for row in found]


@asynccontextmanager
async def smtp_relay() -> AsyncIterator[tuple[Relay, int]]:
    """A real SMTP server on loopback (aiosmtpd): it refuses addresses starting with "refuse"
    and takes mail for "perdu…" but hangs up before saying so (see tests/mail/test_smtp.py)."""
    relay = Relay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(relay, hostname="relais.test"), "127.0.0.1", 0
    )
    try:
        yield relay, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
