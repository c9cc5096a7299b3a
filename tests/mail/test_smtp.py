"""The SMTP backend against a real aiosmtpd server on 127.0.0.1 (plain, STARTTLS, implicit TLS)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.config import Config, ConfigError, SmtpConfig
from hub.mail import BatchInDoubt, BatchRejected, Content
from hub.mail.factory import make_messenger
from hub.mail.smtp import MAX_MESSAGES_PER_CONNECTION, SmtpMessenger
from hub.secrets import Secrets
from tests.mail.conftest import (
    SIGNED_UNSUBSCRIBE_URL,
    SUBJECT,
    assert_invitation,
    assert_literal_list_unsubscribe,
    body,
    make_recipient,
    parse,
    signed_recipient,
    with_an_accented_address,
)

PASSWORD = "mot-de-passe-du-relais-1234"


@dataclasses.dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    data: bytes  # as the relay received it
    peer: Any
    tls: bool
    login: bytes | None


class Relay:
    """An aiosmtpd handler that keeps what it accepts, refuses addresses starting with
    "refuse", hangs up on addresses starting with "coupure", and takes the message of addresses
    starting with "perdu" but hangs up before saying so."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 Adresse inconnue"
        if address.startswith("coupure"):
            assert server.transport is not None
            server.transport.close()
            return "421 4.3.2 Arret du service"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        self.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=parse(envelope.content),
                data=envelope.content,
                peer=session.peer,
                tls=session.ssl is not None,
                login=session.auth_data if session.authenticated else None,
            )
        )
        if envelope.rcpt_tos[0].startswith("perdu"):
            assert server.transport is not None
            server.transport.close()
        return "250 2.0.0 Message accepte"


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data == (b"lettre", PASSWORD.encode())
    # handled=False: aiosmtpd answers 535 itself on failure.
    return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


StartRelay = Callable[..., Awaitable[int]]


@pytest.fixture
async def start_relay() -> AsyncIterator[tuple[Relay, StartRelay]]:
    relay = Relay()
    servers: list[asyncio.Server] = []

    async def start(*, ssl_context: ssl.SSLContext | None = None, **smtp_options: Any) -> int:
        server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(relay, hostname="relais.test", **smtp_options),
            "127.0.0.1",
            0,
            ssl=ssl_context,
        )
        servers.append(server)
        return server.sockets[0].getsockname()[1]

    yield relay, start
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: (server context, client context trusting it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relais.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


def smtp_config(config: Config, port: int, security: str = "none", username: str = "") -> Config:
    smtp = SmtpConfig(
        host="127.0.0.1", port=port, security=security, username=username, timeout_seconds=5
    )
    return dataclasses.replace(config, smtp=smtp)


async def test_one_connection_per_batch_and_refused_recipient(
    content: Content, config: Config, start_relay: tuple[Relay, StartRelay]
) -> None:
    relay, start = start_relay
    port = await start()
    messenger = SmtpMessenger(smtp_config(config, port))
    recipients = [make_recipient(1, "Zoé"), make_recipient(2), make_recipient(3, "Éric")]
    recipients[1] = dataclasses.replace(recipients[1], email="refuse@exemple.fr")

    outcomes = await messenger.send(content, recipients)

    assert [o.accepted for o in outcomes] == [True, False, True]
    assert "550" in (outcomes[1].error or "") and "Adresse inconnue" in (outcomes[1].error or "")
    assert [r.rcpt_tos for r in relay.received] == [
        ["personne1@exemple.fr"],
        ["personne3@exemple.fr"],
    ]
    assert {r.mail_from for r in relay.received} == {config.mail.from_address}
    assert len({r.peer for r in relay.received}) == 1  # the same connection
    for got, outcome, greeting in zip(
        relay.received, [outcomes[0], outcomes[2]], ["Bonjour Zoé,", "Bonjour Éric,"], strict=True
    ):
        message = got.message
        recipient = outcome.recipient
        assert message["Message-ID"] == outcome.message_id
        assert message["Subject"] == SUBJECT
        assert message["To"].addresses[0].addr_spec == recipient.email
        assert message["List-Unsubscribe"].startswith(f"<{recipient.unsubscribe_url}>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert greeting in body(message, "plain")
        assert f"<p>{greeting}</p>" in body(message, "html")


async def test_the_relay_receives_list_unsubscribe_literally(
    content: Content, config: Config, start_relay: tuple[Relay, StartRelay]
) -> None:
    relay, start = start_relay
    messenger = SmtpMessenger(smtp_config(config, await start()))

    outcomes = await messenger.send(content, [signed_recipient(1, "Zoé")])

    assert outcomes[0].accepted
    assert_literal_list_unsubscribe(
        relay.received[0].data,
        SIGNED_UNSUBSCRIBE_URL,
        f"mailto:{config.mail.unsubscribe_address}?subject=desinscription",
    )


async def test_server_down_rejects_the_batch(content: Content, config: Config) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    messenger = SmtpMessenger(smtp_config(config, port))
    with pytest.raises(BatchRejected, match=rf"serveur SMTP 127\.0\.0\.1:{port} injoignable"):
        await messenger.send(content, [make_recipient(1)])


async def test_connection_lost_midway(
    content: Content, config: Config, start_relay: tuple[Relay, StartRelay]
) -> None:
    relay, start = start_relay
    messenger = SmtpMessenger(smtp_config(config, await start()))
    recipients = [make_recipient(i) for i in range(4)]
    recipients[1] = dataclasses.replace(recipients[1], email="coupure@exemple.fr")

    outcomes = await messenger.send(content, recipients)

    assert [o.accepted for o in outcomes] == [True, False, False, False]
    assert all((o.error or "").startswith("non envoyé : ") for o in outcomes[1:])
    assert "serveur SMTP 127.0.0.1" in (outcomes[1].error or "")
    assert [r.rcpt_tos for r in relay.received] == [["personne0@exemple.fr"]]


async def test_connection_lost_before_the_relay_confirms_a_message_leaves_it_in_doubt(
    content: Content, config: Config, start_relay: tuple[Relay, StartRelay]
) -> None:
    relay, start = start_relay
    messenger = SmtpMessenger(smtp_config(config, await start()))
    recipients = [make_recipient(i) for i in range(4)]
    recipients[1] = dataclasses.replace(recipients[1], email="perdu@exemple.fr")

    with pytest.raises(BatchInDoubt) as doubt:
        await messenger.send(content, recipients)

    assert "peut-être été accepté" in str(doubt.value)
    assert "exemple.fr" not in str(doubt.value)  # it goes to the logs: no personal data
    settled = doubt.value.settled
    assert [o.recipient for o in settled] == [recipients[0], recipients[2], recipients[3]]
    assert [o.accepted for o in settled] == [True, False, False]
    assert all((o.error or "").startswith("non envoyé : ") for o in settled[1:])
    # The relay did take it: resending it would mail that person twice.
    assert [r.rcpt_tos for r in relay.received] == [["personne0@exemple.fr"], ["perdu@exemple.fr"]]


async def test_starttls_and_login(
    content: Content,
    config: Config,
    start_relay: tuple[Relay, StartRelay],
    certificate: tuple[ssl.SSLContext, ssl.SSLContext],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay, start = start_relay
    server_tls, client_tls = certificate
    port = await start(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    monkeypatch.setenv("HUB_SMTP_PASSWORD", PASSWORD)
    messenger = SmtpMessenger(
        smtp_config(config, port, "starttls", username="lettre"), tls_context=client_tls
    )

    outcomes = await messenger.send(content, [make_recipient(1), make_recipient(2)])

    assert all(o.accepted for o in outcomes)
    assert [(r.tls, r.login) for r in relay.received] == [(True, b"lettre"), (True, b"lettre")]

    monkeypatch.setenv("HUB_SMTP_PASSWORD", "un-autre-mot-de-passe")
    wrong = SmtpMessenger(
        smtp_config(config, port, "starttls", username="lettre"), tls_context=client_tls
    )
    with pytest.raises(BatchRejected, match="authentification refusée") as refused:
        await wrong.send(content, [make_recipient(3)])
    assert "un-autre-mot-de-passe" not in str(refused.value)
    assert "HUB_SMTP_PASSWORD" in str(refused.value)
    assert len(relay.received) == 2


async def test_untrusted_certificate_is_refused(
    content: Content,
    config: Config,
    start_relay: tuple[Relay, StartRelay],
    certificate: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    relay, start = start_relay
    port = await start(tls_context=certificate[0], require_starttls=True)
    messenger = SmtpMessenger(smtp_config(config, port, "starttls"))  # system authorities only
    with pytest.raises(BatchRejected, match="injoignable ou connexion refusée"):
        await messenger.send(content, [make_recipient(1)])
    assert relay.received == []


async def test_implicit_tls(
    content: Content,
    config: Config,
    start_relay: tuple[Relay, StartRelay],
    certificate: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    relay, start = start_relay
    server_tls, client_tls = certificate
    port = await start(ssl_context=server_tls)
    messenger = SmtpMessenger(smtp_config(config, port, "tls"), tls_context=client_tls)
    outcomes = await messenger.send(content, [make_recipient(1, "Zoé")])
    assert outcomes[0].accepted
    assert relay.received[0].message["Message-ID"] == outcomes[0].message_id


async def test_an_impossible_address_fails_alone(
    content: Content, config: Config, start_relay: tuple[Relay, StartRelay]
) -> None:
    relay, start = start_relay
    messenger = SmtpMessenger(smtp_config(config, await start()))
    recipients = with_an_accented_address([make_recipient(i) for i in (1, 2, 3)])
    recipients.append(dataclasses.replace(make_recipient(4), email="jose@bücher.de"))
    outcomes = await messenger.send(content, recipients)

    assert [o.accepted for o in outcomes] == [True, False, True, False]
    assert "caractères accentués" in (outcomes[1].error or "")
    assert "SMTP" in (outcomes[3].error or "")
    assert [r.rcpt_tos for r in relay.received] == [
        ["personne1@exemple.fr"],
        ["personne3@exemple.fr"],
    ]


async def test_an_invitation_reaches_the_relay(
    invitation: Content, config: Config, start_relay: tuple[Relay, StartRelay]
) -> None:
    relay, start = start_relay
    messenger = SmtpMessenger(smtp_config(config, await start()))
    (outcome,) = await messenger.send(invitation, [make_recipient(1, "Zoé")])
    assert outcome.accepted
    (got,) = relay.received
    assert_invitation(got.message)
    assert "Bonjour Zoé," in body(got.message, "plain")


def test_username_without_password_is_a_config_error(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUB_SMTP_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="HUB_SMTP_PASSWORD n'est pas définie"):
        SmtpMessenger(smtp_config(config, 587, "starttls", username="lettre"))


def test_factory_uses_the_password_the_services_give_it(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = smtp_config(config, 587, "starttls", username="lettre")
    smtp = dataclasses.replace(smtp, mail=dataclasses.replace(smtp.mail, backend="smtp"))
    monkeypatch.setenv("HUB_SMTP_PASSWORD", PASSWORD)
    with pytest.raises(ConfigError, match="HUB_SMTP_PASSWORD n'est pas définie"):
        make_messenger(smtp, Secrets())
    monkeypatch.delenv("HUB_SMTP_PASSWORD")
    assert make_messenger(smtp, Secrets(smtp_password=PASSWORD)).name == "smtp"


def test_batch_size_and_factory(config: Config) -> None:
    smtp = dataclasses.replace(config, mail=dataclasses.replace(config.mail, backend="smtp"))
    messenger = make_messenger(smtp)
    assert messenger.name == "smtp"
    assert messenger.max_batch == MAX_MESSAGES_PER_CONNECTION < config.mail.batch_size
    small = dataclasses.replace(smtp, mail=dataclasses.replace(smtp.mail, batch_size=20))
    assert SmtpMessenger(small).max_batch == 20
