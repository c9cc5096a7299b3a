"""The GDPR rights of one person, for every channel: access (art. 15) and erasure (art. 17).

What the hub holds about a person is spread over several domains: the subscribers' record,
subscriptions and consents, the send log and delivery events of the campaigns, the event
registrations with their answers (and, next, the Discord accounts linked to the address). A
channel (the CLI today, a Discord command or a staff page tomorrow) asks this service, never
the domains one by one: so no channel forgets a table, and an erasure is one transaction
that either reaches everything or changes nothing.

To add a domain (e.g. Discord links): a tuple of its records on `PersonData`, read in `show`,
and its rows erased inside `forget`'s transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from hub.config import Config
from hub.db import Database
from hub.events.service import Events
from hub.records import from_row
from hub.subscribers.model import Subscriber, subscriber_from_row
from hub.subscribers.service import Subscribers, normalise_email
from hub.subscribers.suppression import Suppression
from hub.timeutil import to_utc_text

# A record of one domain, read from its rows by field name (`hub.records.from_row`).
R = TypeVar("R")


@dataclass(frozen=True)
class SubscriptionRecord:
    list: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class ConsentRecord:
    """One change of a subscription and the proof recorded with it (GDPR art. 7)."""

    list: str
    action: str
    source: str
    consent_text: str
    consent_version: str
    ip: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class MembershipRecord:
    member: bool
    source: str
    note: str
    recorded_at: datetime


@dataclass(frozen=True)
class SendRecord:
    """One newsletter sent (or tried) to the person; the campaign may have been deleted."""

    campaign_id: int
    subject: str | None
    edition: str | None
    issue_number: int | None
    list: str | None
    status: str
    message_id: str | None
    error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryRecord:
    """What the mail provider reported about a message (delivered, opened, bounced…)."""

    event: str
    campaign_id: int | None
    detail: str
    occurred_at: datetime
    received_at: datetime


@dataclass(frozen=True)
class RegistrationRecord:
    """One event registration, with the answers and the consent given with it."""

    event: str
    slug: str
    starts_at: datetime
    status: str
    source: str
    answers: Mapping[str, Any]
    consent_text: str
    consent_version: str
    ip: str | None
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None


@dataclass(frozen=True)
class DiscordLinkRecord:
    """A Discord account linked to the person on one server, and the roles the bot gave it."""

    server: str
    discord_user_id: int
    roles: tuple[str, ...]
    linked_at: datetime
    linked_by: str


@dataclass(frozen=True)
class DiscordQuestionRecord:
    """A question the person asked the staff on Discord (its text stays in Discord)."""

    server: str
    category: str
    status: str
    created_at: datetime
    taken_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class PersonData:
    """Everything the hub holds under one address (GDPR art. 15). `person` is None when no
    record is stored under it: then every tuple is empty, and `suppression` says whether the
    address is blocked (only its keyed hash is kept)."""

    email: str
    person: Subscriber | None
    subscriptions: tuple[SubscriptionRecord, ...] = ()
    consents: tuple[ConsentRecord, ...] = ()
    membership_changes: tuple[MembershipRecord, ...] = ()
    sends: tuple[SendRecord, ...] = ()
    delivery_events: tuple[DeliveryRecord, ...] = ()
    registrations: tuple[RegistrationRecord, ...] = ()
    suppression: Suppression | None = None
    discord_links: tuple[DiscordLinkRecord, ...] = ()
    discord_questions: tuple[DiscordQuestionRecord, ...] = ()

    @property
    def known(self) -> bool:
        return self.person is not None

    def as_json(self) -> dict[str, Any] | None:
        """The JSON-able form `hub subscribers show --json` has always printed (times as
        stored, in UTC); None for an address under which nothing is stored."""
        if self.person is None:
            return None
        person = _plain(self.person)
        del person["token_nonce"]  # a technical part of the links, nothing about the person
        suppression = None
        if self.suppression is not None:
            suppression = _plain(self.suppression)
        return {
            "person": person,
            "subscriptions": [_plain(item) for item in self.subscriptions],
            "consents": [_plain(item) for item in self.consents],
            "membership_changes": [_plain(item) for item in self.membership_changes],
            "sends": [_plain(item) for item in self.sends],
            "delivery_events": [_plain(item) for item in self.delivery_events],
            "registrations": [_plain(item) for item in self.registrations],
            "discord_links": [_plain(item) for item in self.discord_links],
            "discord_questions": [_plain(item) for item in self.discord_questions],
            "suppressed": suppression is not None,
            "suppression": suppression,
        }


def _plain(record: Any) -> dict[str, Any]:
    """A record's fields, times as stored (UTC text), enums as their values."""
    values: dict[str, Any] = {}
    for item in fields(record):
        value = getattr(record, item.name)
        if isinstance(value, datetime):
            value = to_utc_text(value)
        elif isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, Mapping):
            value = dict(value)
        values[item.name] = value
    return values


@dataclass(frozen=True)
class Forgotten:
    """What `Privacy.forget` did."""

    email: str
    known: bool  # a person was stored under the address, and is now erased
    blocked: bool  # the address is on the suppression list (now or from before)
    registrations_withdrawn: int  # their seats went to the waiting lists
    outbox_messages: int  # messages of the outbox backend to the address, deleted


class Privacy:
    """Access and erasure across the domains; built once per process (`HubServices`)."""

    def __init__(
        self,
        db: Database,
        config: Config,
        subscribers: Subscribers,
        events: Events,
        *,
        mail_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.config = config
        self.subscribers = subscribers
        self.events = events
        # Told after an erasure that freed seats committed: the seats may have queued offers.
        self.mail_queued = mail_queued

    async def show(self, email: str) -> PersonData:
        """Everything held about the person under `email` (`InvalidEmail` when it cannot be
        an address)."""
        email = normalise_email(email)
        suppression = await self.subscribers.suppressions.find(email)
        row = await self.db.fetch_one("subscriber_by_email", {"email": email})
        if row is None:
            return PersonData(email=email, person=None, suppression=suppression)
        params = {"id": row["id"]}

        async def records(cls: type[R], query: str) -> tuple[R, ...]:
            return tuple(from_row(cls, r) for r in await self.db.fetch_all(query, params))

        return PersonData(
            email=email,
            person=subscriber_from_row(row),
            subscriptions=await records(SubscriptionRecord, "subscription_of"),
            consents=await records(ConsentRecord, "subscriber_consents"),
            membership_changes=await records(MembershipRecord, "subscriber_membership_changes"),
            sends=await records(SendRecord, "subscriber_sends"),
            delivery_events=await records(DeliveryRecord, "subscriber_delivery_events"),
            registrations=tuple(
                from_row(RegistrationRecord, r, answers=json.loads(r["answers"]))
                for r in await self.db.fetch_all("subscriber_registrations", params)
            ),
            suppression=suppression,
            discord_links=tuple(
                from_row(
                    DiscordLinkRecord,
                    r,
                    discord_user_id=int(r["discord_user_id"]),
                    roles=tuple(json.loads(r["roles"] or "[]")),
                    linked_by=r["linked_by"] or "",
                )
                for r in await self.db.fetch_all("subscriber_discord_links", params)
            ),
            discord_questions=await records(DiscordQuestionRecord, "discord_questions_of_person"),
        )

    async def forget(self, email: str, *, block: bool) -> Forgotten:
        """Erase the person stored under `email`, in one transaction: their registrations are
        withdrawn first (the seats go to the waiting lists, through the events service), then
        their record, subscriptions and consents; the send log and delivery events keep only
        counts, texts quoting the address lose it (`Subscribers.erase_within`). A known
        person's address is always blocked (only its keyed hash is kept). For an address
        under which nothing is stored, nothing is stored now either, unless `block`: a typo
        must not block a stranger, but someone may ask never to receive anything.

        The outbox backend's messages to the address are deleted after the commit: files
        cannot roll back, and an erasure that failed must leave everything in place.
        """
        email = normalise_email(email)
        await self.subscribers.verify_key()
        async with self.db.transaction():
            row = await self.db.fetch_one("subscriber_by_email", {"email": email})
            withdrawn = await self.events.withdraw_person_within(row["id"]) if row else 0
            known, blocked = await self.subscribers.erase_within(email, block_unknown=block)
            # Discord links and questions go with the person's row (ON DELETE CASCADE; the bot
            # takes back the roles it gave); a code asked for the address goes too, stored or not.
            await self.db.execute("discord_codes_forget", {"email": email})
        if withdrawn:
            self.mail_queued()
        removed = await self.subscribers.remove_outbox_messages(email)
        return Forgotten(
            email=email,
            known=known is not None,
            blocked=blocked,
            registrations_withdrawn=withdrawn,
            outbox_messages=removed,
        )
