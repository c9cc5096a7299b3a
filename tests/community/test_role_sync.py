"""Roles to take back are queued with their cause, in any process: a withdrawn membership, a
changed role, an unlink, an erasure."""

from __future__ import annotations

import pytest

from hub.community.identity import Identification
from hub.community.role_sync import RoleRemoval, RoleSync
from hub.config import Config
from hub.db import Database
from hub.mail.factory import make_messenger
from hub.subscribers.service import Person, Subscribers

ALICE = 111_111_111_111_111_111


@pytest.fixture
def people(db: Database, config: Config) -> Subscribers:
    return Subscribers(db, config)


@pytest.fixture
def identity(db: Database, config: Config, people: Subscribers) -> Identification:
    messenger = make_messenger(config)
    return Identification(db, config, people=people, messenger=lambda: messenger)


@pytest.fixture
def sync(db: Database, identity: Identification) -> RoleSync:
    return RoleSync(db, identity)


async def linked(people: Subscribers, identity: Identification, role: str = "elu") -> int:
    person = await people.save_person(Person(email="c@cpts.fr", role=role, member=True))
    await identity.link_by_hand(ALICE, "c@cpts.fr", server="elus", staff="Dominique")
    return person.id


async def test_nothing_is_due_while_the_record_carries_the_roles(
    people: Subscribers, identity: Identification, sync: RoleSync
) -> None:
    await linked(people, identity)
    assert await sync.due("elus") == []


async def test_a_withdrawn_membership_makes_the_given_roles_due_until_done(
    people: Subscribers, identity: Identification, sync: RoleSync
) -> None:
    person_id = await linked(people, identity)
    await people.set_member("c@cpts.fr", False, "cli")
    (removal,) = await sync.due("elus")
    assert removal == RoleRemoval(ALICE, ("adherent", "elu"), subscriber_id=person_id)
    assert await sync.due("salaries") == []
    assert await sync.due("elus") == [removal]  # not forgotten until done
    await sync.done("elus", removal)
    assert await sync.due("elus") == []
    link = await identity.link_of(ALICE, server="elus")
    assert link is not None and link.roles == ()


async def test_a_changed_role_takes_back_only_the_old_one(
    people: Subscribers, identity: Identification, sync: RoleSync
) -> None:
    await linked(people, identity, role="salarie")
    await people.save_person(Person(email="c@cpts.fr", role="elu"))
    (removal,) = await sync.due("elus")
    assert removal.roles == ("salarie",)


@pytest.mark.parametrize("cause", ["unlink", "forget"])
async def test_a_link_that_goes_queues_the_roles_it_gave(
    people: Subscribers, identity: Identification, sync: RoleSync, cause: str
) -> None:
    await linked(people, identity)
    if cause == "unlink":
        await identity.unlink(ALICE, server="elus")
    else:
        await people.forget("c@cpts.fr")
    (removal,) = await sync.due("elus")
    assert (removal.discord_user_id, removal.roles) == (ALICE, ("adherent", "elu"))
    assert removal.queued_id is not None
    await sync.done("elus", removal)
    assert await sync.due("elus") == []
