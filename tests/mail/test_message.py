"""The message every backend sends, parsed back with the standard library like a mail client."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from email import policy
from email.utils import parsedate_to_datetime

import pytest

from hub.config import Config
from hub.mail import CalendarPart, Content, Recipient
from hub.mail.message import (
    RecipientError,
    build_message,
    list_unsubscribe_headers,
    personalise,
    substitutions,
)
from tests.mail.conftest import (
    ICS,
    SIGNED_UNSUBSCRIBE_URL,
    SUBJECT,
    assert_invitation,
    assert_literal_list_unsubscribe,
    body,
    make_recipient,
    parse,
    raw_header,
    signed_recipient,
)


def wire(content: Content, recipient: Recipient, config: Config):
    return parse(build_message(content, recipient, config).as_bytes(policy=policy.SMTP))


def test_headers_of_a_newsletter(content: Content, config: Config) -> None:
    recipient = make_recipient(7, "Zoé")
    message = wire(content, recipient, config)

    assert message["From"].addresses[0].display_name == config.mail.from_name
    assert message["From"].addresses[0].addr_spec == config.mail.from_address
    assert message["To"].addresses[0].addr_spec == "personne7@exemple.fr"
    assert message["To"].addresses[0].display_name == "Zoé"
    assert message["Reply-To"] == config.mail.reply_to
    assert message["Subject"] == SUBJECT
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "multipart/alternative"
    sent = parsedate_to_datetime(message["Date"])
    assert sent.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - sent) < timedelta(minutes=1)
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@fcpts.org>")
    assert message["List-Unsubscribe"] == (
        "<https://lettre.fcpts.org/u/jeton-7.sig>, "
        "<mailto:desinscription@fcpts.org?subject=desinscription>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Campaign-ID"] == "42"
    assert message["X-Send-Log-ID"] == "7"


def test_every_header_is_ascii_on_the_wire(content: Content, config: Config) -> None:
    config = dataclasses.replace(
        config, mail=dataclasses.replace(config.mail, from_name="Fédération des CPTS")
    )
    data = build_message(content, make_recipient(1, "Zoé"), config).as_bytes(policy=policy.SMTP)
    data.decode("ascii")  # raises if anything, header or body, is not 7-bit
    assert parse(data)["From"].addresses[0].display_name == "Fédération des CPTS"


def test_parts_are_text_then_html_personalised(content: Content, config: Config) -> None:
    message = wire(content, make_recipient(3, "Anne & <Marc>"), config)

    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    text, html = body(message, "plain"), body(message, "html")
    assert "Bonjour Anne & <Marc>," in text
    assert "Bonjour Anne &amp; &lt;Marc&gt;," in html
    assert "https://lettre.fcpts.org/p/jeton-3.sig?liste=bimestrielle&v=2" in text
    assert 'href="https://lettre.fcpts.org/p/jeton-3.sig?liste=bimestrielle&amp;v=2"' in html
    assert 'href="https://lettre.fcpts.org/u/jeton-3.sig"' in html
    assert "L'été des CPTS" in text and "[[" not in text and "[[" not in html


def test_no_first_name_reads_bonjour_comma(content: Content, config: Config) -> None:
    message = wire(content, make_recipient(4, "   "), config)
    assert "Bonjour,\n" in body(message, "plain")
    assert "<p>Bonjour,</p>" in body(message, "html")
    assert message["To"].addresses[0].display_name == ""


def test_html_values_cannot_leave_an_attribute() -> None:
    recipient = Recipient(
        email="x@exemple.fr",
        first_name='Jo "le" <b>',
        unsubscribe_url='https://h/u/a"onmouseover="x',
        preferences_url="https://h/p/a'b",
    )
    template = "<a href=\"[[unsubscribe_url]]\">[[first_name]]</a><a href='[[preferences_url]]'>"
    assert personalise(template, recipient, html=True) == (
        '<a href="https://h/u/a&quot;onmouseover=&quot;x"> Jo &quot;le&quot; &lt;b&gt;</a>'
        "<a href='https://h/p/a&#x27;b'>"
    )
    assert substitutions(recipient, html=False)["[[first_name]]"] == ' Jo "le" <b>'


def test_transactional_mail_has_no_list_headers_nor_campaign(config: Config) -> None:
    confirmation = Content(
        subject="Confirmez votre inscription",
        html="<p>Bonjour[[first_name]]</p>",
        text="Bonjour[[first_name]]",
        category="transactionnel",
        list_unsubscribe=False,
    )
    recipient = make_recipient(5, "Léa")
    assert list_unsubscribe_headers(confirmation, recipient, config) == {}
    message = wire(confirmation, recipient, config)
    for name in ("List-Unsubscribe", "List-Unsubscribe-Post", "X-Campaign-ID"):
        assert name not in message
    assert message["X-Send-Log-ID"] == "5"


def test_no_list_headers_without_a_link(content: Content, config: Config) -> None:
    recipient = dataclasses.replace(make_recipient(6), unsubscribe_url="")
    assert list_unsubscribe_headers(content, recipient, config) == {}


def test_no_personal_data_in_our_headers(content: Content, config: Config) -> None:
    recipient = make_recipient(8, "Zoé")
    message = wire(content, recipient, config)
    ours = {k: str(v) for k, v in message.items() if k.lower().startswith("x-")}
    assert set(ours) == {"X-Campaign-ID", "X-Send-Log-ID"}
    for value in ours.values():
        assert value.isdigit()
        assert "Zoé" not in value and "personne8" not in value and "jeton" not in value


def test_each_message_has_its_own_message_id(content: Content, config: Config) -> None:
    ids = {build_message(content, make_recipient(i), config)["Message-ID"] for i in range(50)}
    assert len(ids) == 50
    other = build_message(content, make_recipient(1), config, message_id_domain="envoi.fcpts.org")
    assert other["Message-ID"].endswith("@envoi.fcpts.org>")


def test_an_invitation_travels_inline_and_attached(invitation: Content, config: Config) -> None:
    data = build_message(invitation, make_recipient(3, "Zoé"), config).as_bytes(policy=policy.SMTP)
    data.decode("ascii")  # still 7-bit on the wire, accents in the event included
    message = parse(data)
    assert_invitation(message)
    assert message["MIME-Version"] == "1.0"
    assert all("MIME-Version" not in part for part in message.walk() if part is not message)
    assert "Bonjour Zoé," in body(message, "plain")
    assert "<p>Bonjour Zoé,</p>" in body(message, "html")


def test_a_cancellation_says_so_in_its_content_type(content: Content, config: Config) -> None:
    cancel = dataclasses.replace(
        content, calendar=CalendarPart("CANCEL", ICS.replace("METHOD:REQUEST", "METHOD:CANCEL"))
    )
    message = wire(cancel, make_recipient(4), config)
    (calendar,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "CANCEL"
    assert "METHOD:CANCEL" in calendar.get_content()


def test_a_calendar_method_is_an_itip_one() -> None:
    with pytest.raises(ValueError, match="calendar method 'request"):
        CalendarPart("request\r\nBcc: x@exemple.fr", ICS)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("José@cpts.fr", "caractères accentués ou non latins avant le « @ »"),
        ("deux mots@cpts.fr", "adresse invalide"),
        ("@cpts.fr", "adresse invalide"),
    ],
)
def test_an_address_no_mail_can_carry_is_a_recipient_error(
    content: Content, config: Config, address: str, reason: str
) -> None:
    recipient = dataclasses.replace(make_recipient(1), email=address)
    with pytest.raises(RecipientError, match=reason):
        build_message(content, recipient, config)


def test_an_accented_domain_is_carried(content: Content, config: Config) -> None:
    recipient = dataclasses.replace(make_recipient(1), email="jose@bücher.de")
    message = wire(content, recipient, config)
    assert message["To"].addresses[0].domain == "bücher.de"


MAILTO = "mailto:desinscription@fcpts.org?subject=desinscription"


@pytest.mark.parametrize("serialising", [policy.SMTP, policy.default], ids=["smtp", "outbox"])
def test_list_unsubscribe_goes_on_the_wire_literally(
    content: Content, config: Config, serialising: policy.Policy
) -> None:
    data = build_message(content, signed_recipient(7, "Zoé"), config).as_bytes(policy=serialising)

    assert_literal_list_unsubscribe(data, SIGNED_UNSUBSCRIBE_URL, MAILTO)


def test_a_long_list_unsubscribe_is_folded_after_its_comma_only(
    content: Content, config: Config
) -> None:
    url = "https://lettre.fcpts.org/u/" + "A" * 900
    recipient = dataclasses.replace(make_recipient(7), unsubscribe_url=url)
    data = build_message(content, recipient, config).as_bytes(policy=policy.SMTP)

    lines = raw_header(data, "List-Unsubscribe")
    assert lines == [f"List-Unsubscribe: <{url}>,".encode(), f" <{MAILTO}>".encode()]
    assert_literal_list_unsubscribe(data, url, MAILTO)


def test_a_link_with_characters_no_header_carries_is_percent_encoded(
    content: Content, config: Config
) -> None:
    recipient = dataclasses.replace(
        make_recipient(7), unsubscribe_url="https://lettre.fcpts.org/désinscription/u/a b?x=?q?="
    )
    data = build_message(content, recipient, config).as_bytes(policy=policy.SMTP)

    encoded = "https://lettre.fcpts.org/d%C3%A9sinscription/u/a%20b?x=?q?="
    assert_literal_list_unsubscribe(data, encoded, MAILTO)
    assert parse(data)["List-Unsubscribe"] == f"<{encoded}>, <{MAILTO}>"


def test_an_accented_subject_stays_rfc_2047_encoded(content: Content, config: Config) -> None:
    subject = "Journée régionale des CPTS d'Occitanie : où en est l'accès aux soins ? " * 2
    subject = subject.strip()
    content = dataclasses.replace(content, subject=subject)
    data = build_message(content, signed_recipient(7), config).as_bytes(policy=policy.SMTP)

    lines = raw_header(data, "Subject")
    assert len(lines) > 1 and b"=?utf-8?" in b"".join(lines)
    assert all(len(line) <= 78 for line in lines)
    assert parse(data)["Subject"] == subject
