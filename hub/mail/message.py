"""What every backend sends: the per-recipient values of the placeholders and the RFC 5322
message itself (the outbox writes it, SMTP transmits it, SendGrid builds the same from JSON).
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote

from hub.config import Config
from hub.mail import CalendarPart, Content, Recipient
from hub.mail.placeholders import PLACEHOLDERS

UNSUBSCRIBE_SUBJECT = "desinscription"
CALENDAR_FILE = "invitation.ics"
CALENDAR_ATTACHMENT_TYPE = "application/ics"  # as Google Calendar and SendGrid's own example


class RecipientError(Exception):
    """No message can be made for this recipient (an address no mail can carry…): that
    recipient fails with the reason, the rest of the batch goes on."""


# A plain ASCII dot-atom address (what email-validator stores for nearly everyone): any mail
# carries it, so it skips the header parser, which costs a send of 100,000 recipients seconds.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def address_problem(email: str) -> str | None:
    """Why no mail can carry this address, in French; None if it can."""
    if _PLAIN_ADDRESS.fullmatch(email):
        return None
    local = email.rpartition("@")[0]
    if not local.isascii():
        return (
            "adresse refusée : des caractères accentués ou non latins avant le « @ », qu'aucun "
            "e-mail ne peut porter ; corrigez l'adresse de cette personne"
        )
    try:
        Address(addr_spec=email)
    except (ValueError, HeaderParseError) as exc:  # the parser's defects are ValueErrors
        return f"adresse invalide ({exc}) ; corrigez l'adresse de cette personne"
    return None


def display_name(recipient: Recipient) -> str:
    """The first name on one line (it goes in headers too), "" when unknown."""
    return " ".join(recipient.first_name.split())


def first_name_value(recipient: Recipient) -> str:
    """The value of [[first_name]]: " Marie", with a leading space so that
    "Bonjour[[first_name]]," reads well, or "" without a name."""
    name = display_name(recipient)
    return f" {name}" if name else ""


_HTML_SPECIAL = re.compile("[&<>\"']")


def html_safe(value: str) -> str:
    """Safe both in element text and in a quoted attribute (the links go in `href="…"`).

    Most values (signed links, most names) have nothing to escape: a search is cheaper than
    the five replacements of `html.escape`, which a send repeats three times per recipient."""
    return html_lib.escape(value, quote=True) if _HTML_SPECIAL.search(value) else value


def substitutions(recipient: Recipient, *, html: bool) -> dict[str, str]:
    """Placeholder -> this recipient's value, for the HTML part (`html=True`) or the text part.

    In HTML every value goes through `html_safe`; the text part takes them as they are: a name
    like "Anne & Marc" must not read "Anne &amp; Marc" there.
    """
    values = {
        PLACEHOLDERS["first_name"]: first_name_value(recipient),
        PLACEHOLDERS["unsubscribe_url"]: recipient.unsubscribe_url,
        PLACEHOLDERS["preferences_url"]: recipient.preferences_url,
    }
    if html:
        return {key: html_safe(value) for key, value in values.items()}
    return values


def personalise(template: str, recipient: Recipient, *, html: bool) -> str:
    """The HTML or text of `template` with this recipient's values in place of the placeholders."""
    for placeholder, value in substitutions(recipient, html=html).items():
        template = template.replace(placeholder, value)
    return template


def list_unsubscribe_headers(
    content: Content, recipient: Recipient, config: Config
) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe (one-click link, then mailto for staff) and RFC 8058's
    List-Unsubscribe-Post, so mailbox providers show their own "unsubscribe" button.

    Empty for mail that is not a newsletter (e.g. a confirmation request) or has no link.
    """
    if not (content.list_unsubscribe and recipient.unsubscribe_url):
        return {}
    mailto = f"mailto:{config.mail.unsubscribe_address}?subject={UNSUBSCRIBE_SUBJECT}"
    return {
        "List-Unsubscribe": ", ".join(
            f"<{uri_text(uri)}>" for uri in (recipient.unsubscribe_url, mailto)
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# Inside RFC 2369's angle brackets: printable ASCII but the brackets themselves.
_URI_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "<>")
MAX_LINE_BYTES = 998  # RFC 5322 2.1.1, without the CRLF


def uri_text(uri: str) -> str:
    """`uri` as a header can carry it between angle brackets: anything outside printable ASCII
    (an accented path, a space) percent-encoded in UTF-8, what is already encoded left as is."""
    return quote(uri, safe=_URI_SAFE)


class ListUnsubscribeHeader(BaseHeader):
    """List-Unsubscribe exactly as RFC 2369 writes it, `<https://…>, <mailto:…>`, folded only
    after a comma.

    The standard library folds a long value with no space in it (a signed link is one) by
    RFC 2047-encoding it (`=?utf-8?q?=3Chttps…?=`): legal, but Gmail and Yahoo then read no
    link and show no "unsubscribe" button. Being the header object itself, this class does its
    own folding whatever policy serialises the message (outbox file, SMTP)."""

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        if not value.isascii() or any(c in value for c in "\r\n\t"):
            raise ValueError(  # never the link itself: it is this person's key
                "lien de désinscription impossible à mettre dans un en-tête (caractères non "
                "ASCII ou de contrôle)"
            )
        for item in value.split(", "):  # each alone on a line at worst: "Name: <…>,"
            if len("List-Unsubscribe: ,") + len(item) > MAX_LINE_BYTES:
                raise ValueError(
                    f"lien de désinscription de {len(item)} caractères : trop long pour un "
                    f"en-tête d'e-mail ({MAX_LINE_BYTES} au plus)"
                )
        kwds["parse_tree"] = None  # `fold` below never reads it
        kwds["decoded"] = value  # as is: "=?…?=" in a link is no encoded word

    def fold(self, *, policy: Policy) -> str:
        limit = min(policy.max_line_length or MAX_LINE_BYTES, MAX_LINE_BYTES)
        first, *others = str(self).split(", ")
        lines = [f"{self.name}: {first}"]
        for item in others:
            if len(lines[-1]) + len(", ") + len(item) <= limit:
                lines[-1] += f", {item}"
            else:
                lines[-1] += ","
                lines.append(f" {item}")
        return policy.linesep.join(lines) + policy.linesep


def tracking_headers(content: Content, recipient: Recipient) -> dict[str, str]:
    """Our ids, so a bounce read by a person can be traced; never any personal data."""
    headers = {}
    if content.campaign_id is not None:
        headers["X-Campaign-ID"] = str(content.campaign_id)
    if recipient.send_log_id is not None:
        headers["X-Send-Log-ID"] = str(recipient.send_log_id)
    return headers


def sender_domain(config: Config) -> str:
    return config.mail.from_address.rpartition("@")[2]


def build_message(
    content: Content,
    recipient: Recipient,
    config: Config,
    *,
    message_id_domain: str | None = None,
) -> EmailMessage:
    """The complete message for one recipient, exactly as it goes on the wire: text then HTML
    (multipart/alternative, UTF-8, quoted-printable), personalised, with its list headers, and
    the calendar invitation if the content has one. `RecipientError` if this recipient's
    values cannot go in a message."""
    problem = address_problem(recipient.email)
    if problem:
        raise RecipientError(problem)
    try:
        return _build(content, recipient, config, message_id_domain)
    except (ValueError, MessageError) as exc:
        raise RecipientError(
            f"message impossible à construire pour ce destinataire : {exc}"
        ) from None


def _build(
    content: Content, recipient: Recipient, config: Config, message_id_domain: str | None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Address(config.mail.from_name, addr_spec=config.mail.from_address)
    message["To"] = Address(display_name(recipient), addr_spec=recipient.email)
    if config.mail.reply_to:
        message["Reply-To"] = config.mail.reply_to
    message["Subject"] = content.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=message_id_domain or sender_domain(config))
    for name, value in list_unsubscribe_headers(content, recipient, config).items():
        message[name] = ListUnsubscribeHeader(name, value) if name == "List-Unsubscribe" else value
    for name, value in tracking_headers(content, recipient).items():
        message[name] = value
    message.set_content(
        personalise(content.text, recipient, html=False), charset="utf-8", cte="quoted-printable"
    )
    message.add_alternative(
        personalise(content.html, recipient, html=True),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    if content.calendar is not None:
        _add_calendar(message, content.calendar)
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # belongs to the top level only
    return message


def _add_calendar(message: EmailMessage, calendar: CalendarPart) -> None:
    """The structure calendar clients expect (Outlook's and Google's own invitations):
    multipart/mixed(multipart/alternative(text, HTML, text/calendar; method=…), invitation.ics).
    The inline part gives the accept/decline buttons; the attachment serves clients that only
    import files."""
    message.add_alternative(
        calendar.ics,
        subtype="calendar",
        charset="utf-8",
        cte="quoted-printable",
        params={"method": calendar.method},
    )
    maintype, subtype = CALENDAR_ATTACHMENT_TYPE.split("/")
    message.add_attachment(
        calendar.ics.encode("utf-8"), maintype=maintype, subtype=subtype, filename=CALENDAR_FILE
    )
