"""The SendGrid backend against the local SendGrid, which checks every request against the
Mail Send v3 contract and answers with the faults each test asks for."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import math
import socket
import time
from collections.abc import AsyncIterator

import pytest

from hub.config import Config, ConfigError, SendgridConfig
from hub.mail import BatchInDoubt, BatchRejected, Content, Recipient
from hub.mail.factory import make_messenger
from hub.mail.message import personalise
from hub.mail.sendgrid import SendgridMessenger
from hub.secrets import Secrets
from loopback.sendgrid import SendgridServer
from tests.mail.conftest import (
    ICS,
    SIGNED_UNSUBSCRIBE_URL,
    SUBJECT,
    make_recipient,
    signed_recipient,
    with_an_accented_address,
)

API_KEY = "SG.cle-de-test-locale.0123456789"
SHORT = Content(subject="Test", html="<p>Bonjour[[first_name]]</p>", text="Bonjour", category="t")


@pytest.fixture
async def server() -> AsyncIterator[SendgridServer]:
    async with SendgridServer(api_key=API_KEY) as running:
        yield running
    assert running.violations == []  # the code under test never breaks SendGrid's contract


def sendgrid_config(config: Config, server: SendgridServer, **settings: float) -> Config:
    values = {"api_url": server.url, "timeout_seconds": 10.0, "max_retries": 3} | settings
    return dataclasses.replace(config, sendgrid=SendgridConfig(**values))  # type: ignore[arg-type]


@pytest.fixture
async def messenger(config: Config, server: SendgridServer) -> AsyncIterator[SendgridMessenger]:
    sender = SendgridMessenger(sendgrid_config(config, server), API_KEY, backoff_seconds=0.01)
    yield sender
    await sender.close()


def as_sendgrid_would(template: str, substitutions: dict[str, str]) -> str:
    for tag, value in substitutions.items():
        template = template.replace(tag, value)
    return template


async def test_batches_follow_the_contract_one_personalization_each(
    config: Config, server: SendgridServer, messenger: SendgridMessenger
) -> None:
    content = Content(
        subject=SUBJECT,
        html='<p>Bonjour[[first_name]],</p><a href="[[unsubscribe_url]]">Se désinscrire</a>'
        '<a href="[[preferences_url]]">Préférences</a>',
        text="Bonjour[[first_name]],\nSe désinscrire : [[unsubscribe_url]]\n[[preferences_url]]",
        category="bimestrielle",
        campaign_id=42,
        provider_batch_id=await messenger.create_batch_id(),
    )
    recipients = [make_recipient(i, "Anne & Marc" if i % 2 else "") for i in range(1, 2501)]
    outcomes = []
    for start in range(0, len(recipients), messenger.max_batch):
        outcomes += await messenger.send(content, recipients[start : start + messenger.max_batch])

    assert messenger.max_batch == 1000
    assert [len(a.body["personalizations"]) for a in server.accepted] == [1000, 1000, 500]
    assert server.recipients() == [r.email for r in recipients]  # each once, in order
    assert [o.recipient for o in outcomes] == recipients and all(o.accepted for o in outcomes)
    assert [o.message_id for o in outcomes] == [
        a.message_id for a in server.accepted for _ in a.body["personalizations"]
    ]
    for accepted in server.accepted:
        body = accepted.body
        assert body["from"] == {"email": config.mail.from_address, "name": config.mail.from_name}
        assert body["reply_to"] == {"email": config.mail.reply_to}
        assert body["subject"] == SUBJECT
        assert body["categories"] == ["bimestrielle"]
        assert body["batch_id"] == content.provider_batch_id
        assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
        assert body["content"][1]["value"] == content.html  # as rendered, placeholders left in
    sent = [p for a in server.accepted for p in a.body["personalizations"]]
    text, html = (c["value"] for c in server.accepted[0].body["content"])
    for recipient, p in zip(recipients, sent, strict=True):
        name = recipient.first_name
        assert p["to"] == [{"email": recipient.email} | ({"name": name} if name else {})]
        assert p["custom_args"] == {"campaign_id": "42", "send_log_id": str(recipient.send_log_id)}
        assert p["headers"] == {
            "List-Unsubscribe": f"<{recipient.unsubscribe_url}>, "
            "<mailto:desinscription@fcpts.org?subject=desinscription>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        # What SendGrid delivers is what the outbox and SMTP backends build, both parts.
        assert as_sendgrid_would(html, p["substitutions"]) == personalise(
            content.html, recipient, html=True
        )
        assert as_sendgrid_would(text, p["substitutions"]) == personalise(
            content.text, recipient, html=False
        )
    assert "Bonjour Anne & Marc," in as_sendgrid_would(text, sent[0]["substitutions"])
    assert "Bonjour Anne &amp; Marc," in as_sendgrid_would(html, sent[0]["substitutions"])


async def test_list_unsubscribe_travels_literally_in_the_json(
    config: Config, server: SendgridServer, messenger: SendgridMessenger
) -> None:
    content = dataclasses.replace(SHORT, campaign_id=42)
    recipients = [signed_recipient(1, "Zoé")]

    request = messenger.request_body(content, recipients)
    await messenger.send(content, recipients)

    mailto = f"mailto:{config.mail.unsubscribe_address}?subject=desinscription"
    literal = f'"List-Unsubscribe":"<{SIGNED_UNSUBSCRIBE_URL}>, <{mailto}>"'.encode()
    assert literal in request
    assert b'"List-Unsubscribe-Post":"List-Unsubscribe=One-Click"' in request
    assert b"=?utf-8?" not in request.lower()
    assert len(server.accepted) == 1


async def test_transactional_mail_has_no_list_headers(
    server: SendgridServer, messenger: SendgridMessenger
) -> None:
    confirmation = Content(
        subject="Confirmez votre inscription",
        html="<p>Bonjour[[first_name]]</p>",
        text="Bonjour[[first_name]]",
        category="transactionnel",
        list_unsubscribe=False,
    )
    recipient = dataclasses.replace(make_recipient(1, "Léa"), send_log_id=None)
    (outcome,) = await messenger.send(confirmation, [recipient])

    (p,) = server.accepted[0].body["personalizations"]
    assert outcome.accepted and outcome.message_id == server.accepted[0].message_id
    assert "headers" not in p and "custom_args" not in p
    assert "batch_id" not in server.accepted[0].body
    assert server.accepted[0].body["categories"] == ["transactionnel"]


async def test_an_invitation_travels_inline_and_attached(
    invitation: Content, server: SendgridServer, messenger: SendgridMessenger
) -> None:
    recipients = [make_recipient(1, "Zoé"), make_recipient(2)]
    outcomes = await messenger.send(invitation, recipients)

    assert all(o.accepted for o in outcomes)
    (accepted,) = server.accepted  # checked against the Mail Send contract (no violations)
    body = accepted.body
    assert [c["type"] for c in body["content"]] == [
        "text/plain",
        "text/html",
        "text/calendar; method=REQUEST",
    ]
    assert body["content"][2]["value"] == ICS
    (attachment,) = body["attachments"]
    assert attachment["filename"] == "invitation.ics"
    assert attachment["type"] == "application/ics"
    assert attachment["disposition"] == "attachment"
    assert base64.b64decode(attachment["content"]).decode() == ICS
    assert len(body["personalizations"]) == 2  # the invitation travels once per request


async def test_an_impossible_address_fails_alone(
    server: SendgridServer, messenger: SendgridMessenger
) -> None:
    recipients = with_an_accented_address([make_recipient(i) for i in (1, 2, 3)])
    outcomes = await messenger.send(SHORT, recipients)

    assert [o.recipient for o in outcomes] == recipients
    assert [o.accepted for o in outcomes] == [True, False, True]
    assert "caractères accentués" in (outcomes[1].error or "")
    assert server.recipients() == ["personne1@exemple.fr", "personne3@exemple.fr"]

    (alone,) = await messenger.send(SHORT, [recipients[1]])
    assert not alone.accepted and len(server.requests) == 1  # nothing left to send


async def test_rate_limit_waits_for_the_reset(
    server: SendgridServer, messenger: SendgridMessenger
) -> None:
    before = time.time()
    server.rate_limit(reset_after=1.0)
    (outcome,) = await messenger.send(SHORT, [make_recipient(1)])

    assert time.time() >= math.ceil(before + 1.0)  # X-RateLimit-Reset, in whole seconds
    assert outcome.accepted and len(server.requests) == 2
    assert server.recipients() == ["personne1@exemple.fr"]


async def test_rate_limit_honours_retry_after(
    server: SendgridServer, messenger: SendgridMessenger
) -> None:
    started = time.monotonic()
    server.rate_limit(reset_after=1.0, retry_after=True)
    (outcome,) = await messenger.send(SHORT, [make_recipient(1)])
    assert time.monotonic() - started >= 1.0
    assert outcome.accepted and len(server.requests) == 2


async def test_rate_limit_too_long_fails_at_once(config: Config, server: SendgridServer) -> None:
    sender = SendgridMessenger(sendgrid_config(config, server), API_KEY, max_wait_seconds=60)
    server.rate_limit(reset_after=3600)
    with pytest.raises(BatchRejected, match=r"HTTP 429.*réessayez plus tard"):
        await sender.send(SHORT, [make_recipient(1)])
    await sender.close()
    assert len(server.requests) == 1 and server.accepted == []


async def test_server_errors_are_retried(
    server: SendgridServer, messenger: SendgridMessenger, caplog: pytest.LogCaptureFixture
) -> None:
    server.fail(2, status=500)
    with caplog.at_level(logging.WARNING):
        (outcome,) = await messenger.send(SHORT, [make_recipient(1)])
    assert outcome.accepted and outcome.message_id == server.accepted[0].message_id
    assert len(server.requests) == 3 and server.recipients() == ["personne1@exemple.fr"]
    assert [r.getMessage() for r in caplog.records].count("sendgrid retry") == 2
    assert API_KEY not in caplog.text


async def test_a_connection_dropped_after_the_request_is_in_doubt_not_retried(
    server: SendgridServer, messenger: SendgridMessenger
) -> None:
    server.drop()
    with pytest.raises(BatchInDoubt, match="a peut-être été acceptée"):
        await messenger.send(SHORT, [make_recipient(1)])
    assert len(server.requests) == 1  # never sent twice: SendGrid may have taken it


async def test_no_answer_in_time_is_in_doubt_not_retried(
    config: Config, server: SendgridServer
) -> None:
    sender = SendgridMessenger(
        sendgrid_config(config, server, timeout_seconds=0.3), API_KEY, backoff_seconds=0.01
    )
    server.slow(delay=0.6)
    with pytest.raises(BatchInDoubt, match=r"n'a pas répondu en 0\.3 s"):
        await sender.send(SHORT, [make_recipient(1)])
    await sender.close()
    while not server.accepted:  # the slow request lands after all: a retry would mail twice
        await asyncio.sleep(0.05)
    assert len(server.requests) == 1 and server.recipients() == ["personne1@exemple.fr"]


async def test_a_connection_that_cannot_be_made_is_retried(config: Config) -> None:
    with socket.socket() as probe:  # a port nobody listens on: nothing can have been sent
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = SendgridConfig(api_url=f"http://127.0.0.1:{port}", timeout_seconds=5, max_retries=2)
    sender = SendgridMessenger(
        dataclasses.replace(config, sendgrid=settings), API_KEY, backoff_seconds=0.01
    )
    with pytest.raises(BatchRejected) as rejected:
        await sender.send(SHORT, [make_recipient(1)])
    await sender.close()
    assert not isinstance(rejected.value, BatchInDoubt)
    assert "après 3 tentative(s)" in str(rejected.value)
    assert f"connexion à http://127.0.0.1:{port} impossible" in str(rejected.value)


async def test_persistent_errors_reject_the_batch(
    server: SendgridServer, messenger: SendgridMessenger
) -> None:
    server.fail(10, status=503)
    with pytest.raises(BatchRejected) as rejected:
        await messenger.send(SHORT, [make_recipient(1)])
    assert "après 4 tentative(s)" in str(rejected.value)
    assert "HTTP 503" in str(rejected.value) and "internal server error" in str(rejected.value)
    assert len(server.requests) == 4 and server.accepted == []


async def test_a_refusal_is_not_retried_and_keeps_sendgrid_words(
    server: SendgridServer, messenger: SendgridMessenger
) -> None:
    server.reject("The from address does not match a verified Sender Identity.", "from")
    with pytest.raises(BatchRejected) as rejected:
        await messenger.send(SHORT, [make_recipient(1)])
    assert str(rejected.value) == (
        "SendGrid a refusé l'envoi (HTTP 400) : The from address does not match a verified "
        "Sender Identity. (champ from)"
    )
    assert len(server.requests) == 1


async def test_wrong_key_names_the_variable_never_the_key(
    config: Config, server: SendgridServer
) -> None:
    sender = SendgridMessenger(sendgrid_config(config, server), "SG.une-autre-cle-invalide")
    with pytest.raises(BatchRejected) as rejected:
        await sender.send(SHORT, [make_recipient(1)])
    await sender.close()
    assert "HTTP 401" in str(rejected.value) and "SENDGRID_API_KEY" in str(rejected.value)
    assert "une-autre-cle" not in str(rejected.value)


async def test_factory_reads_the_key_from_the_environment(
    config: Config, server: SendgridServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sendgrid = sendgrid_config(config, server)
    mail = dataclasses.replace(config.mail, backend="sendgrid")
    sendgrid = dataclasses.replace(sendgrid, mail=mail)
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="SENDGRID_API_KEY n'est pas définie"):
        make_messenger(sendgrid)

    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    sender = make_messenger(sendgrid)
    assert sender.name == "sendgrid"
    (outcome,) = await sender.send(SHORT, [make_recipient(1)])
    await sender.close()
    assert outcome.accepted


async def test_factory_uses_the_key_the_services_give_it(
    config: Config, server: SendgridServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sendgrid = sendgrid_config(config, server)
    sendgrid = dataclasses.replace(
        sendgrid, mail=dataclasses.replace(config.mail, backend="sendgrid")
    )
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.pas-celle-de-l-environnement")
    with pytest.raises(ConfigError, match="SENDGRID_API_KEY n'est pas définie"):
        make_messenger(sendgrid, Secrets())

    monkeypatch.delenv("SENDGRID_API_KEY")
    sender = make_messenger(sendgrid, Secrets(sendgrid_api_key=API_KEY))
    (outcome,) = await sender.send(SHORT, [make_recipient(1)])
    await sender.close()
    assert outcome.accepted


async def test_more_than_a_batch_is_a_programming_error(messenger: SendgridMessenger) -> None:
    many = [Recipient(f"p{i}@exemple.fr") for i in range(messenger.max_batch + 1)]
    with pytest.raises(ValueError, match="at most 1000"):
        await messenger.send(SHORT, many)
