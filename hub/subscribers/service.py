"""People, their subscriptions and the proof of their consent; suppression; GDPR erasure.

One person is one row per e-mail address (normalised), shared by every list and by event
registrations. Every change of a subscription records who asked, how, with which consent text:
that record is what the GDPR (art. 7) asks us to be able to show (`hub.privacy` shows it all).

The vocabulary lives in `.model`, addresses in `.addresses`, the suppression list in
`.suppression` (of `hub.subscribers`); their public names are re-exported here, for importers.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.mail.folders import outbox_folder
from hub.subscribers.addresses import InvalidEmail, normalise_email
from hub.subscribers.erasure import erase_within, remove_outbox_messages
from hub.subscribers.membership import Registrations, set_member
from hub.subscribers.model import (
    ACCEPTED,
    ACTIVE,
    MEMBERSHIP_WITHDRAWN,
    ROLES,
    SOURCES,
    STATUSES,
    SUPPRESSION_REASONS,
    Consent,
    Erasure,
    ListOutcome,
    ListStatus,
    MembershipChange,
    Person,
    Purged,
    Subscribed,
    Subscriber,
    SubscriptionStatus,
    SuppressionReason,
    cleaned,
    merge_person,
    plan_subscription,
    rows_as_dicts,
    staff_consent,
    subscriber_from_row,
)
from hub.subscribers.store import SubscriberStore
from hub.subscribers.suppression import (
    SUPPRESSED_STATUS,
    SUPPRESSION_KEY,
    SuppressionList,
    email_hash,
)
from hub.timeutil import to_utc_text, utcnow
from hub.tokens import ALL_LISTS, InvalidToken, Token, TokenSigner

__all__ = [
    "ACCEPTED",
    "ACTIVE",
    "MEMBERSHIP_WITHDRAWN",
    "ROLES",
    "SOURCES",
    "STATUSES",
    "SUPPRESSION_KEY",
    "SUPPRESSION_REASONS",
    "Consent",
    "Erasure",
    "InvalidEmail",
    "ListOutcome",
    "ListStatus",
    "MembershipChange",
    "Person",
    "Purged",
    "Subscribed",
    "Subscriber",
    "Subscribers",
    "SubscriptionStatus",
    "SuppressionReason",
    "email_hash",
    "merge_person",
    "normalise_email",
    "plan_subscription",
    "staff_consent",
]


class Subscribers:
    """The subscribers service; every write is one transaction."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        registrations: Callable[[], Registrations] | None = None,
        mail_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.config = config
        # The events service, given late: it is built on this one (`HubServices.build`
        # passes `lambda: events`). Without it, `set_member` builds one.
        self.registrations = registrations
        # Told after a committed change queued e-mails (a withdrawn membership's cancellations).
        self.mail_queued = mail_queued
        self.suppressions = SuppressionList(db, config)
        self.store = SubscriberStore(db)

    async def verify_key(self) -> None:
        """See `SuppressionList.verify_key`: every method here that hashes an address calls
        it first (outside any transaction), and so must any other user of `hash`."""
        await self.suppressions.verify_key()

    def hash(self, email: str) -> str:
        """The suppression hash of an already normalised address (see `verify_key`)."""
        return self.suppressions.hash(email)

    def add_unlisted(self, conn: sqlite3.Connection, person: Person, now: str) -> int:
        """Store a person the hub does not know yet (a registration's) inside the caller's
        write transaction on `conn`; their id. Call `verify_key` first, as for `hash`."""
        person = cleaned(person)
        return self.store.insert_on_conn(conn, person, self.hash(person.email), now)

    async def get(self, subscriber_id: int) -> Subscriber | None:
        row = await self.db.fetch_one("subscriber_by_id", {"id": subscriber_id})
        return subscriber_from_row(row) if row else None

    async def by_token(self, text: str, purpose: str) -> tuple[Subscriber, Token]:
        """The person a signed link is for, and its token; `InvalidToken` (or `TokenExpired`)
        when it is not a genuine token of this purpose, or when the person it was made for is
        gone: no record has its id any more, or the record that has it is someone else's (its
        nonce differs). Every channel opens signed links through here, so none forgets a check.
        """
        token = self._signer.read(text, purpose)
        person = await self.get(token.subscriber_id)
        if person is None or person.token_nonce != token.nonce:
            raise InvalidToken("no such person")
        return person, token

    @cached_property
    def _signer(self) -> TokenSigner:
        return TokenSigner.for_config(self.config)

    async def find(self, email: str) -> Subscriber | None:
        row = await self.db.fetch_one("subscriber_by_email", {"email": normalise_email(email)})
        return subscriber_from_row(row) if row else None

    async def save_person(self, person: Person) -> Subscriber:
        """Create the person, or update a known one (see `merge_person`)."""
        person = cleaned(person)
        await self.verify_key()
        async with self.db.transaction():
            row = await self.db.fetch_one("subscriber_by_email", {"email": person.email})
            stored = subscriber_from_row(row) if row else None
            merged, changed = merge_person(stored, person)
            if changed:
                await self.store.store([(merged, stored, self.hash(merged.email))], utcnow())
            row = await self.db.fetch_one("subscriber_by_email", {"email": person.email})
        assert row is not None
        return subscriber_from_row(row)

    async def subscribe(
        self,
        person: Person,
        lists: Sequence[str],
        consent: Consent,
        *,
        confirmed: bool,
        allow_resubscribe: bool = False,
    ) -> list[ListOutcome]:
        """Put a person on lists (see `subscribe_many`)."""
        (result,) = await self.subscribe_many(
            [person], lists, consent, confirmed=confirmed, allow_resubscribe=allow_resubscribe
        )
        return result.outcomes

    async def subscribe_many(
        self,
        people: Sequence[Person],
        lists: Sequence[str],
        consent: Consent,
        *,
        confirmed: bool,
        allow_resubscribe: bool = False,
    ) -> list[Subscribed]:
        """Put people on the same lists, in one transaction, in a few set-wide queries.

        A suppressed address gets "suppressed" on every list and nothing is stored about it. A
        members-only list refuses a person who is not a member once merged with what is stored.
        Someone who left a list is not put back unless `allow_resubscribe` (a fresh consent,
        e.g. a confirmed web sign-up); bounced or complained never. A request refused on every
        list stores nothing (no person record is created or updated for it). One consent row is
        recorded per list changed and action ("subscribe", then "confirm" when `confirmed`).
        Addresses must differ once normalised.
        """
        keys = list(dict.fromkeys(lists))
        if not keys:
            raise UserError("aucune liste choisie : indiquez au moins une liste")
        members_only = {key: self.config.mailing_list(key).members_only for key in keys}
        people = [cleaned(p) for p in people]
        emails = [p.email for p in people]
        if len(set(emails)) != len(emails):
            raise ValueError("subscribe_many needs distinct addresses")
        await self.verify_key()
        hashes = [self.hash(e) for e in emails]
        now = utcnow()
        results: list[Subscribed] = []
        async with self.db.transaction():
            suppressed = {
                row[0]
                for row in await self.db.fetch_all(
                    "subscriber_suppressed_hashes", {"hashes": json.dumps(hashes)}
                )
            }
            stored = await self.store.by_emails(emails)
            current: dict[int, dict[str, str]] = {s.id: {} for s in stored.values()}
            for row in await self.db.fetch_all(
                "subscription_statuses", {"ids": json.dumps(list(current))}
            ):
                current[row["subscriber_id"]][row["list"]] = row["status"]

            to_store: list[tuple[Person, Subscriber | None, str]] = []
            # (email, list, new status, consent actions)
            changes: list[tuple[str, str, str, tuple[str, ...]]] = []
            for person, digest in zip(people, hashes, strict=True):
                if digest in suppressed:
                    outcomes = [ListOutcome(key, ListStatus.SUPPRESSED) for key in keys]
                    results.append(Subscribed(person.email, outcomes, {}, None))
                    continue
                known = stored.get(person.email)
                merged, changed = merge_person(known, person)
                statuses = current[known.id] if known else {}
                outcomes, planned, accepted = [], [], False
                for key in keys:
                    if members_only[key] and not merged.member:
                        outcomes.append(ListOutcome(key, ListStatus.MEMBERS_ONLY))
                        continue
                    outcome, new_status, actions = plan_subscription(
                        statuses.get(key), confirmed=confirmed, allow_resubscribe=allow_resubscribe
                    )
                    outcomes.append(ListOutcome(key, outcome))
                    accepted = accepted or outcome in ACCEPTED
                    if new_status:
                        planned.append((person.email, key, new_status, actions))
                previous = {key: statuses.get(key) for key in keys}
                if not accepted:
                    results.append(Subscribed(person.email, outcomes, previous, None))
                    continue
                if changed:
                    to_store.append((merged, known, digest))
                change = "unchanged" if not changed else "updated" if known else "created"
                results.append(Subscribed(person.email, outcomes, previous, change))
                changes += planned

            ids = {email: s.id for email, s in stored.items()}
            ids.update(await self.store.store(to_store, now))
            # One query per (list, status, actions): a single one for a whole import chunk.
            groups: dict[tuple[str, str, tuple[str, ...]], list[int]] = defaultdict(list)
            for email, key, status, actions in changes:
                groups[key, status, actions].append(ids[email])
            for (key, status, actions), unsorted in groups.items():
                group = sorted(unsorted)  # ascending ids fill index pages in order: faster
                await self.db.execute(
                    "subscription_upsert",
                    {"ids": json.dumps(group), "list": key, "status": status, "now": now},
                )
                await self.store.record_consents(group, [key], actions, consent, now)
        return results

    async def confirm(
        self,
        subscriber_id: int,
        lists: str | Sequence[str],
        consent: Consent,
        *,
        requested_by: datetime | None = None,
    ) -> list[str]:
        """Confirm pending subscriptions (double opt-in) of `lists` (one key, several, or "*");
        the lists confirmed.

        With `requested_by` (when the confirmation link was made), only subscriptions asked for
        by then: a link confirms what its mailbox was asked about, not a list that someone
        typing the address added later.
        """
        if isinstance(lists, str):
            lists = list(self.config.lists) if lists == ALL_LISTS else [lists]
        now = utcnow()
        async with self.db.transaction():
            rows = await self.db.fetch_all(
                "subscription_confirm",
                {
                    "id": subscriber_id,
                    "lists": json.dumps(list(lists)),
                    "before": None if requested_by is None else to_utc_text(requested_by),
                    "now": now,
                },
            )
            confirmed = sorted(row["list"] for row in rows)
            await self.store.record_consents([subscriber_id], confirmed, ["confirm"], consent, now)
        return confirmed

    async def unsubscribe(
        self, subscriber_id: int, list_key: str, source: str, ip: str | None = None
    ) -> list[str]:
        """Leave one list or all ("*"); the lists actually left."""
        consent = Consent(source=source, text="", version="", ip=ip)
        now = utcnow()
        async with self.db.transaction():
            left = await self.store.end(subscriber_id, list_key, "unsubscribed", now)
            await self.store.record_consents([subscriber_id], left, ["unsubscribe"], consent, now)
        return left

    async def purge_stale_pending(self) -> Purged:
        """Delete the subscriptions still pending twice the confirmation link's validity after
        they were asked for, and the people they leave with nothing else kept about them: an
        address typed by someone, never confirmed, is not kept (GDPR art. 5, minimisation)."""
        days = 2 * self.config.subscriptions.confirm_days
        before = to_utc_text(datetime.now(UTC) - timedelta(days=days))
        async with self.db.transaction():
            rows = await self.db.fetch_all("subscription_purge_pending", {"before": before})
            ids = sorted({row["subscriber_id"] for row in rows})
            people = await self.db.fetch_all(
                "subscriber_purge_unattached", {"ids": json.dumps(ids)}
            )
        return Purged(subscriptions=len(rows), people=len(people))

    async def set_member(
        self, email: str, member: bool, source: str, note: str = ""
    ) -> MembershipChange | None:
        """Grant or withdraw membership (see `hub.subscribers.membership.set_member`)."""
        return await set_member(self, email, member, source, note)

    async def subscriptions(self, subscriber_id: int) -> dict[str, str]:
        rows = await self.db.fetch_all("subscription_of", {"id": subscriber_id})
        return {row["list"]: row["status"] for row in rows}

    async def suppress(self, email: str, reason: str, detail: str = "") -> None:
        """Block an address for good; a known person's current subscriptions end with it."""
        email = normalise_email(email)
        await self.verify_key()
        async with self.db.transaction():
            await self.suppress_within(email, reason, detail)

    async def suppress_within(self, email: str, reason: str, detail: str) -> Subscriber | None:
        """Block a normalised address and end its person's subscriptions (inside a
        transaction); the person, None when the address is unknown."""
        await self.suppressions.block(email, reason, detail)
        row = await self.db.fetch_one("subscriber_by_email", {"email": email})
        if row is None:
            return None
        status = SUPPRESSED_STATUS[SuppressionReason(reason)]
        await self.store.end(row["id"], ALL_LISTS, status, utcnow())
        return subscriber_from_row(row)

    async def is_suppressed(self, email: str) -> bool:
        return await self.suppressions.row(normalise_email(email)) is not None

    async def forget(self, email: str, *, block_unknown: bool = True) -> Erasure:
        """Erase a person (GDPR art. 17), known or not (see `erase_within`), then the messages
        the outbox backend wrote to them."""
        email = normalise_email(email)
        await self.verify_key()
        async with self.db.transaction():
            known, blocked = await self.erase_within(email, block_unknown=block_unknown)
        removed = await self.remove_outbox_messages(email)
        return Erasure(known=known is not None, outbox_messages=removed, blocked=blocked)

    async def erase_within(
        self, email: str, *, block_unknown: bool
    ) -> tuple[Subscriber | None, bool]:
        """Inside the caller's transaction: see `hub.subscribers.erasure.erase_within`."""
        return await erase_within(self, email, block_unknown=block_unknown)

    async def remove_outbox_messages(self, email: str) -> int:
        """Delete the outbox backend's messages to a normalised address (after the erasure
        committed: files cannot roll back, and a failed erasure must leave them); how many."""
        folder = outbox_folder(self.config)
        return await asyncio.to_thread(remove_outbox_messages, folder, email)

    async def export(self, list_key: str, status: str | None = None) -> list[dict[str, Any]]:
        """The people of a list (optionally in one status), by address."""
        self.config.mailing_list(list_key)
        if status is not None and status not in STATUSES:
            raise UserError(
                f"statut inconnu « {status} » ; statuts possibles : {', '.join(STATUSES)}"
            )
        rows = rows_as_dicts(
            await self.db.fetch_all("subscription_export", {"list": list_key, "status": status})
        )
        for row in rows:
            row["member"] = bool(row["member"])
        return rows
