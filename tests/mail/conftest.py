"""A newsletter's content and recipients as the sending step hands them to any backend."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from hub.mail import Content, Recipient

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


@pytest.fixture
def content() -> Content:
    return Content(subject=SUBJECT, html=HTML, text=TEXT, category="bimestrielle", campaign_id=42)


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
