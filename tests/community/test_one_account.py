"""One Discord account, one person, in every server: what a bot is told when it sees an
account linked in another server."""

from __future__ import annotations

from hub.community.identity import Identification
from hub.community.one_account import recognise
from hub.community.role_sync import RoleSync
from hub.db import Database
from hub.subscribers.service import Person, Subscribers
from tests.community.test_identity import ALICE, Clock, clock, identity, people

_ = (clock, identity, people)  # the identification service of test_identity, here too


async def test_an_account_linked_nowhere_is_not_recognised(identity: Identification) -> None:
    assert await recognise(identity, ALICE, server="elus") is None
    assert await identity.link_of(ALICE, server="elus") is None


async def test_a_member_linked_in_one_server_is_linked_with_the_roles_in_the_other(
    identity: Identification, people: Subscribers
) -> None:
    person = await people.save_person(Person(email="c@cpts.fr", role="elu", member=True))
    await identity.link_by_hand(ALICE, "c@cpts.fr", server="salaries", staff="Dominique")
    found = await recognise(identity, ALICE, server="elus")
    assert found is not None
    assert (found.person.id, found.roles) == (person.id, ("adherent", "elu"))
    link = await identity.link_of(ALICE, server="elus")
    assert link is not None
    assert (link.subscriber_id, link.linked_by, link.roles) == (person.id, "discord:salaries", ())
    await identity.record_roles(ALICE, found.roles, server="elus")  # the bot gave them
    again = await recognise(identity, ALICE, server="elus")
    assert again is not None and again.roles == ()


async def test_a_membership_staff_validated_elsewhere_gives_the_roles_here_too(
    identity: Identification, people: Subscribers
) -> None:
    await people.save_person(Person(email="n@cpts.fr"))
    await identity.link_by_hand(ALICE, "n@cpts.fr", server="salaries", staff="Dominique")
    first = await recognise(identity, ALICE, server="elus")
    assert first is not None and first.roles == ()  # identified, not a member contact
    await identity.validate_member(ALICE, "salarie", "CPTS Sud", "Dominique", server="salaries")
    after = await recognise(identity, ALICE, server="elus")
    assert after is not None and after.roles == ("adherent", "salarie")


async def test_a_newer_identification_elsewhere_moves_the_link_and_checks_the_old_roles(
    identity: Identification, people: Subscribers, db: Database, clock: Clock
) -> None:
    await people.save_person(Person(email="old@cpts.fr", role="elu", member=True))
    new = await people.save_person(Person(email="new@cpts.fr"))
    await identity.link_by_hand(ALICE, "old@cpts.fr", server="elus", staff="Dominique")
    await identity.record_roles(ALICE, ("adherent", "elu"), server="elus")
    clock.now = clock.now.replace(hour=10)
    await identity.link_by_hand(ALICE, "new@cpts.fr", server="salaries", staff="Dominique")
    moved = await recognise(identity, ALICE, server="elus")
    assert moved is not None and (moved.person.id, moved.roles) == (new.id, ())
    (removal,) = await RoleSync(db, identity).due("elus")
    assert (removal.discord_user_id, removal.roles) == (ALICE, ("adherent", "elu"))


async def test_a_withdrawn_membership_takes_back_the_roles_in_every_server(
    identity: Identification, people: Subscribers, db: Database
) -> None:
    await people.save_person(Person(email="c@cpts.fr", role="salarie", member=True))
    await identity.link_by_hand(ALICE, "c@cpts.fr", server="salaries", staff="Dominique")
    await identity.record_roles(ALICE, ("adherent", "salarie"), server="salaries")
    found = await recognise(identity, ALICE, server="elus")
    assert found is not None
    await identity.record_roles(ALICE, found.roles, server="elus")
    await people.set_member("c@cpts.fr", False, "cli")
    sync = RoleSync(db, identity)
    for server in ("salaries", "elus"):
        (removal,) = await sync.due(server)
        assert (removal.discord_user_id, removal.roles) == (ALICE, ("adherent", "salarie"))
