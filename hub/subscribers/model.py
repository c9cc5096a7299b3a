"""The subscribers' vocabulary: who a person is, how they consented, what a request did.

Frozen dataclasses and string enums, shared by the service, the sign-up, the privacy service
and every channel: an outcome means the same thing whether a web page, a command line or a
Discord message shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import aiosqlite

from hub.config import Config
from hub.errors import UserError
from hub.records import from_row
from hub.subscribers.addresses import normalise_email


class SubscriptionStatus(StrEnum):
    """Where a person stands on one list."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class ListStatus(StrEnum):
    """What a request did on one list (see `ListOutcome`)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    ALREADY = "already"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"
    MEMBERS_ONLY = "members_only"


class SuppressionReason(StrEnum):
    """Why an address is blocked."""

    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    ERASED = "erased"
    MANUAL = "manual"


ROLES = ("salarie", "elu", "coordinateur", "partenaire", "autre")
SOURCES = ("web", "import", "cli", "discord", "email")
STATUSES = tuple(status.value for status in SubscriptionStatus)
SUPPRESSION_REASONS = tuple(reason.value for reason in SuppressionReason)
ACTIVE = (SubscriptionStatus.PENDING.value, SubscriptionStatus.CONFIRMED.value)
# Outcomes of a subscription request that leave the person on the list.
ACCEPTED = ("pending", "confirmed", "already")
# Recorded with the unsubscriptions a withdrawn membership causes.
MEMBERSHIP_WITHDRAWN = "Adhésion retirée : fin des listes réservées aux adhérents"


@dataclass(frozen=True)
class Person:
    """What someone tells us about themselves (or staff about them)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    organisation: str = ""
    role: str = "autre"
    member: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise UserError(f"rôle inconnu « {self.role} » ; rôles possibles : {', '.join(ROLES)}")


@dataclass(frozen=True)
class Consent:
    """How a request was made: the proof recorded with every change of a subscription."""

    source: str
    text: str
    version: str
    ip: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise UserError(
                f"origine inconnue « {self.source} » ; origines possibles : {', '.join(SOURCES)}"
            )


def staff_consent(config: Config, source: str, text: str) -> Consent:
    """The proof recorded when staff subscribe people (an import, the command line): the text
    they gave, versioned by its source and day. Not the web form's version: these people were
    never shown the form's text."""
    return Consent(source=source, text=text, version=f"{source}-{datetime.now(config.tz):%Y-%m-%d}")


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    first_name: str
    last_name: str
    organisation: str
    role: str
    member: bool
    created_at: datetime
    updated_at: datetime
    # Random, made with the record: every signed link carries it (hub.tokens), so a link opens
    # this record only, never a later one that got the same id.
    token_nonce: int = field(repr=False)


@dataclass(frozen=True)
class Erasure:
    """What `Subscribers.forget` did."""

    known: bool  # a person was stored under the address (and is now erased)
    outbox_messages: int  # messages of the outbox backend to the address, deleted
    blocked: bool = True  # the address is on the suppression list (now or from before)


@dataclass(frozen=True)
class MembershipChange:
    """What `Subscribers.set_member` did."""

    changed: bool  # False: the person already had that membership
    left: list[str]  # members-only lists left with a withdrawn membership
    # Titles of the events whose registrations a withdrawn membership cancelled.
    cancelled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Purged:
    """What `Subscribers.purge_stale_pending` deleted."""

    subscriptions: int
    people: int


@dataclass(frozen=True)
class ListOutcome:
    """What a request did on one list.

    pending | confirmed: subscribed now; already: was already on it, nothing changed;
    unsubscribed: left this list before, not put back; suppressed: address blocked, skipped;
    members_only: refused, the list is for members and the person is not one.
    """

    list: str
    status: ListStatus


@dataclass(frozen=True)
class Subscribed:
    """One person's result in `subscribe_many`: the outcomes and what they changed."""

    email: str
    outcomes: list[ListOutcome]
    previous: dict[str, str | None]  # each list's status before the request (None: not on it)
    person: str | None  # "created" | "updated" | "unchanged"; None when nothing was stored


def subscriber_from_row(row: aiosqlite.Row) -> Subscriber:
    return from_row(Subscriber, row)


def cleaned(person: Person) -> Person:
    """The person with a normalised address and trimmed text fields."""
    email = normalise_email(person.email)
    first, last = person.first_name.strip(), person.last_name.strip()
    organisation = person.organisation.strip()
    if (email, first, last, organisation) == (
        person.email,
        person.first_name,
        person.last_name,
        person.organisation,
    ):
        return person  # already clean (an import's rows): no copy
    return replace(person, email=email, first_name=first, last_name=last, organisation=organisation)


def merge_person(stored: Subscriber | None, given: Person) -> tuple[Person, bool]:
    """The person as stored after a request, and whether that differs from what was stored.

    Given non-empty fields replace stored ones, empty ones keep them; a role other than
    "autre" replaces the stored one; membership is only ever granted here, never withdrawn
    (an import or a form that leaves it out must not silently downgrade a member; staff
    withdraw it with `Subscribers.set_member`).
    """
    if stored is None:
        return given, True
    after = Person(
        email=stored.email,
        first_name=given.first_name or stored.first_name,
        last_name=given.last_name or stored.last_name,
        organisation=given.organisation or stored.organisation,
        role=given.role if given.role != "autre" else stored.role,
        member=stored.member or given.member,
    )
    changed = (
        after.first_name != stored.first_name
        or after.last_name != stored.last_name
        or after.organisation != stored.organisation
        or after.role != stored.role
        or after.member != stored.member
    )
    return after, changed


def plan_subscription(
    current: str | None, *, confirmed: bool, allow_resubscribe: bool
) -> tuple[ListStatus, SubscriptionStatus | None, tuple[str, ...]]:
    """(outcome, new status or None when nothing changes, consent actions to record)."""
    if current in ("bounced", "complained"):
        return ListStatus.SUPPRESSED, None, ()
    if current == "unsubscribed" and not allow_resubscribe:
        return ListStatus.UNSUBSCRIBED, None, ()
    if current == "confirmed" or (current == "pending" and not confirmed):
        return ListStatus.ALREADY, None, ()
    if current == "pending":
        return ListStatus.CONFIRMED, SubscriptionStatus.CONFIRMED, ("confirm",)
    if confirmed:
        return ListStatus.CONFIRMED, SubscriptionStatus.CONFIRMED, ("subscribe", "confirm")
    return ListStatus.PENDING, SubscriptionStatus.PENDING, ("subscribe",)


def person_fields(person: Person) -> list[Any]:
    """The stored fields after the address, in the order of the SQL queries' JSON arrays."""
    return [
        person.first_name,
        person.last_name,
        person.organisation,
        person.role,
        int(person.member),
    ]


def rows_as_dicts(rows: Sequence[aiosqlite.Row]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class SignupAnswer:
    """What a sign-up request came to, list by list (list keys): what its e-mail says."""

    to_confirm: Sequence[str] = ()  # waiting for the person's confirmation
    already: Sequence[str] = ()  # already confirmed before this request
    refused: Sequence[str] = ()  # members-only lists the person is not entitled to

    @property
    def empty(self) -> bool:
        return not (self.to_confirm or self.already or self.refused)
