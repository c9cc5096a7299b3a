"""A newsletter's content and recipients as the sending step hands them to any backend."""

from __future__ import annotations

import dataclasses
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from hub.mail import CalendarPart, Content, Recipient

HTML = (
    "<html><body><p>Bonjour[[first_name]],</p><p>L'été des CPTS : à la une.</p>"
    '<a href="[[preferences_url]]">Gérer mes préférences</a> · '
    '<a href="[[unsubscribe_url]]">Se désinscrire</a></body></html>'
)
TEXT = (
    "Bonjour[[first_name]],\n\nL'été des CPTS : à la une.\n\n"
    "Gérer mes préférences : [[preferences_url]]\nSe désinscrire : [[unsubscribe_url]]\n"
)
SUBJECT = "La lettre n°4 : l'été des CPTS, où en est-on ?"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//FCPTS//hub//FR\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:evenement-12@fcpts.org\r\nDTSTAMP:20270101T090000Z\r\n"
    "DTSTART:20270115T130000Z\r\nDTEND:20270115T160000Z\r\n"
    "SUMMARY:Journée régionale des CPTS\r\nLOCATION:Salle des fêtes\\, Nîmes\r\n"
    "ORGANIZER;CN=FCPTS:mailto:evenements@fcpts.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def content() -> Content:
    return Content(subject=SUBJECT, html=HTML, text=TEXT, category="bimestrielle", campaign_id=42)


@pytest.fixture
def invitation(content: Content) -> Content:
    """A mail carrying an event's calendar invitation."""
    return dataclasses.replace(content, calendar=CalendarPart(method="REQUEST", ics=ICS))


def make_recipient(i: int, first_name: str = "", *, send_log_id: int | None = None) -> Recipient:
    return Recipient(
        email=f"personne{i}@exemple.fr",
        first_name=first_name,
        unsubscribe_url=f"https://lettre.fcpts.org/u/jeton-{i}.sig",
        preferences_url=f"https://lettre.fcpts.org/p/jeton-{i}.sig?liste=bimestrielle&v=2",
        send_log_id=i if send_log_id is None else send_log_id,
    )


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_type() == f"text/{subtype}"
    return part.get_content().replace("\r\n", "\n")  # as on the wire: CRLF lines


def assert_invitation(message: EmailMessage, method: str = "REQUEST") -> None:
    """The structure calendar clients expect: mixed(alternative(text, html, calendar), .ics)."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    parts = list(alternative.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    calendar = parts[2]
    assert calendar.get_param("method") == method
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_content_disposition() is None  # shown inline, as an invitation
    assert calendar.get_content().replace("\r\n", "\n") == ICS.replace("\r\n", "\n")
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content().decode().replace("\r\n", "\n") == ICS.replace("\r\n", "\n")
    assert "Journée régionale des CPTS" in calendar.get_content()


ACCENTED = "José@cpts-exemple.fr"  # an accented local part: no mail can carry it


def with_an_accented_address(recipients: list[Recipient]) -> list[Recipient]:
    """The same batch with its middle recipient's address accented."""
    middle = len(recipients) // 2
    recipients = list(recipients)
    recipients[middle] = dataclasses.replace(recipients[middle], email=ACCENTED)
    return recipients


# A signed one-click link as long as real ones: one word, no space, past 78 characters.
SIGNED_UNSUBSCRIBE_URL = (
    "https://lettre.fcpts.org/u/AQAAAHsAAAAAbWVuc3VlbGxlAAAAAAA3Zm9vYmFy.Jk7fQ2xPz9LrWm4tVb8sNe1a"
)


def signed_recipient(i: int, first_name: str = "") -> Recipient:
    """A recipient whose unsubscribe link is as long as a real signed one."""
    return dataclasses.replace(
        make_recipient(i, first_name), unsubscribe_url=SIGNED_UNSUBSCRIBE_URL
    )


def raw_header(data: bytes, name: str) -> list[bytes]:
    """The physical lines of header `name` in a message's raw bytes (its first line, then its
    continuation lines), as a mailbox provider reads them: nothing decoded."""
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
    lines = re.split(rb"\r?\n", head)
    prefix = name.lower().encode() + b":"
    for i, line in enumerate(lines):
        if line.lower().startswith(prefix):
            end = i + 1
            while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
                end += 1
            return lines[i:end]
    raise AssertionError(f"no {name} header in {head[:2000]!r}")


def assert_literal_list_unsubscribe(data: bytes, unsubscribe_url: str, mailto: str) -> None:
    """RFC 2369's literal form on the wire, as Gmail and Yahoo need it to show their button:
    `<https://…>, <mailto:…>`, never RFC 2047-encoded, folded (if at all) only after a comma,
    every line within RFC 5322's 998 bytes."""
    lines = raw_header(data, "List-Unsubscribe")
    assert lines[0].startswith(b"List-Unsubscribe: <https://"), lines
    assert not any(b"=?utf-8?" in line.lower() for line in lines), lines
    assert all(line.endswith(b",") for line in lines[:-1]), lines
    assert all(len(line) <= 998 for line in lines)
    unfolded = b"".join(lines)
    assert unfolded == f"List-Unsubscribe: <{unsubscribe_url}>, <{mailto}>".encode(), lines
    assert raw_header(data, "List-Unsubscribe-Post") == [
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    ]
