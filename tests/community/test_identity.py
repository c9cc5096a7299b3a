"""The identification service without Discord: codes by e-mail (outbox backend), links, the
roles a record carries, staff validation, erasure."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from hub.community.identity import (
    CODE_TRIES,
    CodeExpired,
    CodeSent,
    Identification,
    Linked,
    NotIdentified,
    TooManyCodes,
    WrongCode,
)
from hub.config import Config
from hub.db import Database
from hub.mail.factory import make_messenger
from hub.subscribers.service import InvalidEmail, Person, Subscribers
from tests.community.helpers import code_mails, last_code, outbox_count

ALICE = 111_111_111_111_111_111
BOB = 222_222_222_222_222_222


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def people(db: Database, config: Config) -> Subscribers:
    return Subscribers(db, config)


@pytest.fixture
def identity(db: Database, config: Config, people: Subscribers, clock: Clock) -> Identification:
    messenger = make_messenger(config)
    return Identification(db, config, people=people, messenger=lambda: messenger, clock=clock)


async def test_a_member_contact_proves_the_address_and_gets_the_roles_of_the_record(
    identity: Identification, people: Subscribers, config: Config, db: Database
) -> None:
    stored = await people.save_person(
        Person(email="camille@cpts-val.fr", role="coordinateur", member=True)
    )
    sent = await identity.request_code(ALICE, " Camille@CPTS-val.fr ", server="salaries")
    assert isinstance(sent, CodeSent)
    code = last_code(config, "camille@cpts-val.fr")
    (mail,) = code_mails(config, "camille@cpts-val.fr")
    assert "Collectif des salariés" in mail.get_body(("plain",)).get_content()
    assert "15 minutes" in mail.get_body(("html",)).get_content()

    linked = await identity.confirm_code(ALICE, f" {code[:3]} {code[3:]} ", server="salaries")
    assert linked == Linked(stored, ("adherent", "coordinateur"))
    (link,) = await identity.links_of(stored.id)
    assert (link.server, link.discord_user_id, link.roles) == (
        "salaries",
        ALICE,
        ("adherent", "coordinateur"),
    )
    raw = await db.conn.execute_fetchall("SELECT code_hash FROM discord_codes")
    assert list(raw) == []  # a used code is gone
    assert await identity.confirm_code(ALICE, code, server="salaries") == CodeExpired()


async def test_the_code_is_stored_hashed(identity: Identification, config: Config, db: Database):
    await identity.request_code(ALICE, "camille@cpts-val.fr", server="salaries")
    code = last_code(config, "camille@cpts-val.fr")
    (row,) = await db.conn.execute_fetchall("SELECT * FROM discord_codes")
    assert code not in "".join(str(value) for value in tuple(row))


async def test_an_unknown_address_gets_the_same_answer_and_is_identified_without_roles(
    identity: Identification, people: Subscribers, config: Config
) -> None:
    await people.save_person(Person(email="membre@cpts-val.fr", member=True))
    known = await identity.request_code(ALICE, "membre@cpts-val.fr", server="salaries")
    unknown = await identity.request_code(BOB, "inconnu@exemple.fr", server="salaries")
    assert type(known) is type(unknown) is CodeSent
    assert known == unknown  # same clock: the very same answer
    linked = await identity.confirm_code(
        BOB, last_code(config, "inconnu@exemple.fr"), server="salaries"
    )
    assert isinstance(linked, Linked)
    assert linked.roles == ()
    assert linked.person.email == "inconnu@exemple.fr"
    assert await people.find("inconnu@exemple.fr") == linked.person


async def test_a_blocked_address_gets_the_same_answer_and_no_mail(
    identity: Identification, people: Subscribers, config: Config
) -> None:
    await people.suppress("bloque@exemple.fr", "bounce")
    answer = await identity.request_code(ALICE, "bloque@exemple.fr", server="salaries")
    assert isinstance(answer, CodeSent)
    assert outbox_count(config) == 0


async def test_text_that_is_no_address_is_refused_in_french(identity: Identification) -> None:
    with pytest.raises(InvalidEmail):
        await identity.request_code(ALICE, "pas une adresse", server="salaries")


async def test_wrong_codes_spend_the_tries_then_the_code_is_gone(
    identity: Identification, config: Config
) -> None:
    await identity.request_code(ALICE, "camille@cpts-val.fr", server="salaries")
    code = last_code(config, "camille@cpts-val.fr")
    wrong = "000000" if code != "000000" else "111111"
    answers = [await identity.confirm_code(ALICE, wrong, server="salaries") for _ in range(5)]
    assert answers == [WrongCode(left) for left in range(CODE_TRIES - 1, -1, -1)]
    assert await identity.confirm_code(ALICE, code, server="salaries") == CodeExpired()


async def test_a_code_expires_after_15_minutes(
    identity: Identification, config: Config, clock: Clock
) -> None:
    await identity.request_code(ALICE, "camille@cpts-val.fr", server="salaries")
    code = last_code(config, "camille@cpts-val.fr")
    clock.now += timedelta(minutes=15)
    assert await identity.confirm_code(ALICE, code, server="salaries") == CodeExpired()


async def test_another_account_cannot_use_someone_elses_code(
    identity: Identification, config: Config
) -> None:
    await identity.request_code(ALICE, "camille@cpts-val.fr", server="salaries")
    code = last_code(config, "camille@cpts-val.fr")
    assert await identity.confirm_code(BOB, code, server="salaries") == CodeExpired()


async def test_codes_are_rate_limited_per_account_and_per_address(
    identity: Identification, config: Config, clock: Clock
) -> None:
    answers = [
        await identity.request_code(ALICE, f"adresse{n}@exemple.fr", server="salaries")
        for n in range(6)
    ]
    assert [type(a) for a in answers] == [CodeSent] * 5 + [TooManyCodes]
    per_address = [
        await identity.request_code(BOB + n, "camille@cpts-val.fr", server="salaries")
        for n in range(4)
    ]
    assert [type(a) for a in per_address] == [CodeSent] * 3 + [TooManyCodes]
    assert outbox_count(config) == 8
    clock.now += timedelta(hours=1)
    assert isinstance(
        await identity.request_code(ALICE, "autre@exemple.fr", server="salaries"), CodeSent
    )


async def test_staff_validation_records_the_membership_and_returns_the_roles(
    identity: Identification, people: Subscribers, config: Config, db: Database
) -> None:
    await identity.request_code(ALICE, "nouvelle@cpts-sud.fr", server="elus")
    await identity.confirm_code(ALICE, last_code(config, "nouvelle@cpts-sud.fr"), server="elus")
    roles = await identity.validate_member(ALICE, "elu", "CPTS Sud", "Dominique", server="elus")
    assert roles == ("adherent", "elu")
    person = await people.find("nouvelle@cpts-sud.fr")
    assert person is not None
    assert (person.member, person.role, person.organisation) == (True, "elu", "CPTS Sud")
    (change,) = await db.conn.execute_fetchall(
        "SELECT source, note, member FROM membership_changes WHERE subscriber_id = ?",
        (person.id,),
    )
    assert tuple(change) == ("discord", "Validé sur Discord (elus) par Dominique", 1)
    (link,) = await identity.links_of(person.id)
    assert link.roles == ("adherent", "elu")


async def test_validating_an_account_that_is_not_identified_is_refused(
    identity: Identification,
) -> None:
    with pytest.raises(NotIdentified):
        await identity.validate_member(ALICE, "elu", "CPTS Sud", "Dominique", server="elus")


async def test_a_withdrawn_membership_lists_the_roles_to_take_back(
    identity: Identification, people: Subscribers
) -> None:
    person = await people.save_person(Person(email="c@cpts.fr", role="salarie", member=True))
    await identity.link_by_hand(ALICE, "c@cpts.fr", server="salaries", staff="Dominique")
    assert await identity.roles_to_remove(person.id) == []
    await people.set_member("c@cpts.fr", False, "cli")
    (removal,) = await identity.roles_to_remove(person.id)
    assert (removal.server, removal.discord_user_id, removal.roles) == (
        "salaries",
        ALICE,
        ("adherent", "salarie"),
    )


async def test_erasing_the_person_removes_the_links(
    identity: Identification, people: Subscribers, db: Database
) -> None:
    person = await people.save_person(Person(email="c@cpts.fr", member=True))
    await identity.link_by_hand(ALICE, "c@cpts.fr", server="salaries", staff="Dominique")
    await people.forget("c@cpts.fr")
    assert await identity.links_of(person.id) == []
    assert await identity.link_of(ALICE, server="salaries") is None
    with pytest.raises(sqlite3.IntegrityError):  # a link always names a stored person
        await db.conn.execute(
            "INSERT INTO discord_links (server, discord_user_id, subscriber_id, linked_at) "
            "VALUES ('salaries', 1, 999999, '2026-12-05T09:00:00+00:00')"
        )


async def test_unlinking_returns_the_roles_the_bot_gave(
    identity: Identification, people: Subscribers
) -> None:
    await people.save_person(Person(email="c@cpts.fr", role="elu", member=True))
    await identity.link_by_hand(ALICE, "c@cpts.fr", server="elus", staff="Dominique")
    assert await identity.unlink(ALICE, server="elus") == ("adherent", "elu")
    assert await identity.unlink(ALICE, server="elus") is None
