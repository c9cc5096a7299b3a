"""The sign-up service without the web, on a real SQLite file: which e-mail a request calls
for, the identity rule, the per-address cooldown (given back when the e-mail fails) and the
requester's rate; e-mails go through the real outbox backend, or a real SMTP client to a port
nobody listens on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from hub.config import Config
from hub.db import Database
from hub.mail import Messenger
from hub.mail.factory import make_messenger
from hub.ratelimit import RateLimiter
from hub.subscribers.service import Consent, InvalidEmail, Person, Subscribers
from hub.subscribers.signup import NOTICE_COOLDOWN, Signup, SignupResult
from tests.support.configs import unreachable_smtp_config

WEB = Consent("web", "J'accepte de recevoir la lettre.", "2026-12", ip="192.0.2.7")
MARIE = Person("Marie.Curie@Exemple.fr", "Marie", "Curie", "CPTS Sorbonne", "coordinateur")


class Clock:
    """The time the service reads, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def subscribers(db: Database, config: Config) -> Subscribers:
    return Subscribers(db, config)


@pytest.fixture
def signup(db: Database, config: Config, subscribers: Subscribers, clock: Clock) -> Signup:
    return Signup(db, config, subscribers, RateLimiter(db, clock=clock), clock=clock)


def opener(config: Config):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def opened() -> AsyncIterator[Messenger]:
        messenger = make_messenger(config)
        try:
            yield messenger
        finally:
            await messenger.close()

    return opened


def outbox(config: Config) -> list[bytes]:
    folder = config.data_dir / "outbox" / "transactionnel"
    return [path.read_bytes() for path in sorted(folder.glob("*.eml"))]


async def test_a_new_address_is_stored_pending_and_asked_to_confirm(
    signup: Signup, subscribers: Subscribers, config: Config
) -> None:
    signed = await signup.request(MARIE, ["bimestrielle"], WEB)

    assert signed.result == SignupResult.MAIL and signed.mail is not None
    assert [(o.list, o.status) for o in signed.outcomes] == [("bimestrielle", "pending")]
    assert signed.mail.email == "marie.curie@exemple.fr"
    assert list(signed.mail.answer.to_confirm) == ["bimestrielle"]
    stored = await subscribers.find(MARIE.email)
    assert stored is not None and (stored.first_name, stored.role) == ("Marie", "coordinateur")
    assert signed.mail.person == stored
    assert await subscribers.subscriptions(stored.id) == {"bimestrielle": "pending"}

    assert await signup.deliver(signed.mail, opener(config))
    (message,) = outbox(config)
    parsed = BytesParser(policy=policy.default).parsebytes(message)
    assert parsed["To"] == "marie.curie@exemple.fr"  # no unverified name in the header
    assert parsed["Subject"] == "Confirmez votre inscription"
    assert b"Bonjour," in message  # greeted without the typed name:
    assert b"Marie" not in message and b"Curie" not in message.replace(b"marie.curie@", b"")


async def test_a_known_person_is_never_rewritten_and_is_told_what_they_already_have(
    signup: Signup, subscribers: Subscribers
) -> None:
    await subscribers.subscribe(MARIE, ["bimestrielle"], WEB, confirmed=True)
    usurper = Person(MARIE.email, "Usurpateur", "Faux", "Ailleurs", "partenaire")

    signed = await signup.request(usurper, ["bimestrielle", "adherents-flash"], WEB)

    assert signed.mail is not None
    assert list(signed.mail.answer.already) == ["bimestrielle"]
    assert list(signed.mail.answer.refused) == ["adherents-flash"]  # members only
    assert list(signed.mail.answer.to_confirm) == []
    stored = await subscribers.find(MARIE.email)
    assert stored is not None
    assert (stored.first_name, stored.last_name, stored.organisation, stored.role) == (
        "Marie",
        "Curie",
        "CPTS Sorbonne",
        "coordinateur",
    )


async def test_a_suppressed_address_gets_no_e_mail_and_nothing_is_stored(
    signup: Signup, subscribers: Subscribers, db: Database
) -> None:
    await subscribers.suppress(MARIE.email, "complaint")

    signed = await signup.request(MARIE, ["bimestrielle"], WEB)

    assert (signed.result, signed.mail) == (SignupResult.NOTHING, None)
    assert await subscribers.find(MARIE.email) is None
    async with db.conn.execute("SELECT count(*) FROM signup_notices") as cursor:
        assert (await cursor.fetchone())[0] == 0  # type: ignore[index]


async def test_one_e_mail_per_address_per_cooldown_whoever_asks(
    signup: Signup, clock: Clock
) -> None:
    first = await signup.request(MARIE, ["bimestrielle"], WEB)
    assert first.result == SignupResult.MAIL

    clock.now += NOTICE_COOLDOWN - timedelta(seconds=1)
    again = await signup.request(Person("marie.curie@exemple.fr"), ["bimestrielle"], WEB)
    assert (again.result, again.mail) == (SignupResult.COOLDOWN, None)

    clock.now += timedelta(seconds=1)
    later = await signup.request(MARIE, ["bimestrielle"], WEB)
    assert later.result == SignupResult.MAIL


async def test_an_e_mail_that_cannot_leave_gives_the_cooldown_back(
    signup: Signup, config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    signed = await signup.request(MARIE, ["bimestrielle"], WEB)
    assert signed.mail is not None

    sent = await signup.deliver(signed.mail, opener(unreachable_smtp_config(config_path)))

    assert not sent
    assert "sign-up e-mail not sent" in caplog.text
    retry = await signup.request(MARIE, ["bimestrielle"], WEB)
    assert retry.result == SignupResult.MAIL


async def test_an_invalid_address_is_refused_before_anything_is_stored(
    signup: Signup, db: Database
) -> None:
    with pytest.raises(InvalidEmail):
        await signup.request(Person("marie.curie@"), ["bimestrielle"], WEB)
    async with db.conn.execute("SELECT count(*) FROM subscribers") as cursor:
        assert (await cursor.fetchone())[0] == 0  # type: ignore[index]


async def test_the_requester_rate_is_the_configured_one(signup: Signup, config: Config) -> None:
    limit = config.subscriptions.signups_per_ip_per_hour
    assert [await signup.allow("discord 81234567890123456") for _ in range(limit)] == [True] * limit
    assert not await signup.allow("discord 81234567890123456")
    assert await signup.allow("192.0.2.7")  # another requester
