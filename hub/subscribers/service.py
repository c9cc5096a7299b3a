"""People, their subscriptions and the proof of their consent; suppression; GDPR access/erasure.

One person is one row per e-mail address (normalised), shared by every list and, later, by
event registrations. Every change of a subscription records who asked, how, with which consent
text: that record is what the GDPR (art. 7) asks us to be able to show.

The suppression list holds keyed hashes, not addresses: it must outlive an erasure (the address
must never be mailed again) without keeping the address itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import sqlite3
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

import aiosqlite
from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.keys import checked_key, derived_key
from hub.mail.factory import outbox_folder
from hub.subscribers.erasure import remove_outbox_messages, scrubbed
from hub.timeutil import from_utc_text, to_utc_text, utcnow
from hub.tokens import ALL_LISTS, InvalidToken, Token, TokenSigner

ROLES = ("salarie", "elu", "coordinateur", "partenaire", "autre")
SOURCES = ("web", "import", "cli", "discord", "email")
STATUSES = ("pending", "confirmed", "unsubscribed", "bounced", "complained")
SUPPRESSION_REASONS = ("bounce", "complaint", "erased", "manual")
ACTIVE = ("pending", "confirmed")
# Outcomes of a subscription request that leave the person on the list.
ACCEPTED = ("pending", "confirmed", "already")

# What each suppression does to the person's current subscriptions.
_SUPPRESSED_STATUS = {
    "bounce": "bounced",
    "complaint": "complained",
    "manual": "unsubscribed",
    "erased": "unsubscribed",
}


# Recorded with the unsubscriptions a withdrawn membership causes.
MEMBERSHIP_WITHDRAWN = "Adhésion retirée : fin des listes réservées aux adhérents"
SUPPRESSION_KEY = "suppression"  # the purpose of the key of the suppression hashes
# The databases whose suppression key this process has checked, with the key checked.
_CHECKED_KEYS: weakref.WeakKeyDictionary[Database, bytes] = weakref.WeakKeyDictionary()

# Texts that may quote an address: (query finding them, query rewriting one), by table.
_QUOTING_TEXTS = (
    ("erasure_suppression_details", "erasure_suppression_detail_set"),
    ("erasure_send_log_errors", "erasure_send_log_error_set"),
    ("erasure_send_batch_errors", "erasure_send_batch_error_set"),
    ("erasure_event_details", "erasure_event_detail_set"),
)


class InvalidEmail(UserError):
    """An address that cannot be an e-mail address; the message says what is wrong with it."""


# email-validator's reasons, in French, found by a piece of their English wording.
_REASONS = (
    ("must have an @-sign", "il manque le @"),
    ("at-sign", "le @ n'est pas le bon caractère"),
    ("something before the @-sign", "rien avant le @"),
    ("something after the @-sign", "rien après le @"),
    ("two periods in a row", "deux points se suivent"),
    ("period and a hyphen", "un point et un tiret se suivent"),
    ("with a period", "un point au début ou à la fin d'une partie de l'adresse"),
    ("with a hyphen", "un tiret au début ou à la fin du domaine"),
    ("should have a period", "le domaine après le @ doit contenir un point (ex. : cpts.fr)"),
    ("top-level domain", "l'extension du domaine (.fr, .org…) n'est pas valable"),
    ("special-use or reserved", "ce domaine est réservé et ne reçoit pas d'e-mails"),
    ("too long", "l'adresse est trop longue"),
    ("display name", "ne mettez que l'adresse, sans nom ni chevrons < >"),
    ("Quoting", "les guillemets ne sont pas acceptés"),
    (
        "Internationalized characters before",
        "pas de lettre accentuée (é, ç…) avant le @ : nos e-mails ne pourraient pas être "
        "remis à cette adresse",
    ),
    ("invalid character", "elle contient des caractères non autorisés"),
    ("unsafe characters", "elle contient des caractères non autorisés"),
)

# Most addresses are plain ASCII dot-atoms: checked by this pattern (a strict subset of what
# email-validator accepts) and a cached check of their domain, they skip the full validation,
# which costs ~60 µs an address, too much for a 100,000-row import.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


@lru_cache(maxsize=4096)
def _simple_domain_ok(domain: str) -> bool:
    """Whether an ASCII domain is valid and already in normal form (once per domain)."""
    try:
        return _validated(f"a@{domain}").ascii_domain == domain
    except EmailNotValidError:
        return False


def _validated(text: str) -> ValidatedEmail:
    """email-validator's verdict, without DNS checks and without SMTPUTF8: an address with
    an accented local part (« José@… ») could not be sent to through our relays, and the
    SendGrid and SMTP backends write addresses in plain ASCII headers."""
    return validate_email(text, check_deliverability=False, allow_smtputf8=False)


def normalise_email(raw: str) -> str:
    """The address as stored and compared: validated, in its ASCII form, lower-cased as a whole.

    email-validator (without DNS checks) lower-cases the domain, and an internationalised
    domain is kept in its ASCII (« xn-- ») form, the one mail headers can carry; the local part
    is lower-cased too, because French mail providers ignore its case: « Marie.Dupont@… » and
    « marie.dupont@… » are the same person and must be one subscriber.
    """
    text = raw.strip()
    match = _SIMPLE.fullmatch(text)
    if match and len(match[1]) <= 64 and len(text) <= 254:
        text = text.lower()
        if _simple_domain_ok(match[2].lower()):
            return text
    if not text:
        raise InvalidEmail("adresse e-mail vide")
    try:
        return _validated(text).ascii_email.lower()  # type: ignore[union-attr]
    except EmailNotValidError as exc:
        english = str(exc)
        reason = next((fr for en, fr in _REASONS if en in english), "adresse mal formée")
        if any(c.isspace() for c in text):
            reason = "elle contient une espace"
        raise InvalidEmail(f"adresse e-mail invalide « {raw.strip()} » : {reason}") from None


@lru_cache(maxsize=8)
def _keyed_sha256(key: bytes) -> hmac.HMAC:
    """An HMAC with its key already absorbed: copying it is cheaper than starting over."""
    return hmac.new(key, digestmod=hashlib.sha256)


def email_hash(key: bytes, email: str) -> str:
    """The keyed hash of a normalised address: what the suppression list keeps."""
    digest = _keyed_sha256(key).copy()
    digest.update(email.encode())
    return digest.hexdigest()


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
    status: str


@dataclass(frozen=True)
class Subscribed:
    """One person's result in `subscribe_many`: the outcomes and what they changed."""

    email: str
    outcomes: list[ListOutcome]
    previous: dict[str, str | None]  # each list's status before the request (None: not on it)
    person: str | None  # "created" | "updated" | "unchanged"; None when nothing was stored


def _subscriber(row: aiosqlite.Row) -> Subscriber:
    return Subscriber(
        id=row["id"],
        email=row["email"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        organisation=row["organisation"],
        role=row["role"],
        member=bool(row["member"]),
        created_at=from_utc_text(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_utc_text(row["updated_at"]),  # type: ignore[arg-type]
        token_nonce=row["token_nonce"],
    )


def _cleaned(person: Person) -> Person:
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
) -> tuple[str, str | None, tuple[str, ...]]:
    """(outcome, new status or None when nothing changes, consent actions to record)."""
    if current in ("bounced", "complained"):
        return "suppressed", None, ()
    if current == "unsubscribed" and not allow_resubscribe:
        return "unsubscribed", None, ()
    if current == "confirmed" or (current == "pending" and not confirmed):
        return "already", None, ()
    if current == "pending":
        return "confirmed", "confirmed", ("confirm",)
    if confirmed:
        return "confirmed", "confirmed", ("subscribe", "confirm")
    return "pending", "pending", ("subscribe",)


def _person_fields(person: Person) -> list[Any]:
    """The stored fields after the address, in the order of the SQL queries' JSON arrays."""
    return [
        person.first_name,
        person.last_name,
        person.organisation,
        person.role,
        int(person.member),
    ]


def _rows(rows: Sequence[aiosqlite.Row]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


class Subscribers:
    """The subscribers service; every write is one transaction."""

    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config

    @cached_property
    def _hash_key(self) -> bytes:
        return derived_key(self.config, SUPPRESSION_KEY)

    async def verify_key(self) -> None:
        """Refuse (`KeyChanged`) a suppression key other than the one the database was first
        used with: under it no blocked address would be recognised. Checked once per database
        and key in a process; every method here that hashes an address calls it first (outside
        any transaction), and so must any other user of `hash`."""
        key = self._hash_key
        if _CHECKED_KEYS.get(self.db) != key:
            await checked_key(self.db, self.config, SUPPRESSION_KEY)
            _CHECKED_KEYS[self.db] = key

    def hash(self, email: str) -> str:
        """The suppression hash of an already normalised address (see `verify_key`)."""
        return email_hash(self._hash_key, email)

    async def get(self, subscriber_id: int) -> Subscriber | None:
        row = await self.db.fetch_one("subscriber_by_id", {"id": subscriber_id})
        return _subscriber(row) if row else None

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
        return _subscriber(row) if row else None

    async def save_person(self, person: Person) -> Subscriber:
        """Create the person, or update a known one (see `merge_person`)."""
        person = _cleaned(person)
        await self.verify_key()
        async with self.db.transaction():
            row = await self.db.fetch_one("subscriber_by_email", {"email": person.email})
            stored = _subscriber(row) if row else None
            merged, changed = merge_person(stored, person)
            if changed:
                await self._store([(merged, stored, self.hash(merged.email))], utcnow())
            row = await self.db.fetch_one("subscriber_by_email", {"email": person.email})
        assert row is not None
        return _subscriber(row)

    def add_unlisted(self, conn: sqlite3.Connection, person: Person, now: str) -> int:
        """Store a person the hub does not know yet, on no list (a registration's), inside the
        caller's write transaction on `conn` (the events' group commit); their id. Call
        `verify_key` first, as for `hash`."""
        person = _cleaned(person)
        fields = [person.email, self.hash(person.email), *_person_fields(person)]
        people = json.dumps([fields])
        row = conn.execute(self.db.sql("subscriber_insert"), {"people": people, "now": now})
        return int(row.fetchone()["id"])

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
        people = [_cleaned(p) for p in people]
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
            stored = await self._by_emails(emails)
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
                    outcomes = [ListOutcome(key, "suppressed") for key in keys]
                    results.append(Subscribed(person.email, outcomes, {}, None))
                    continue
                known = stored.get(person.email)
                merged, changed = merge_person(known, person)
                statuses = current[known.id] if known else {}
                outcomes, planned, accepted = [], [], False
                for key in keys:
                    if members_only[key] and not merged.member:
                        outcomes.append(ListOutcome(key, "members_only"))
                        continue
                    outcome, status, actions = plan_subscription(
                        statuses.get(key), confirmed=confirmed, allow_resubscribe=allow_resubscribe
                    )
                    outcomes.append(ListOutcome(key, outcome))
                    accepted = accepted or outcome in ACCEPTED
                    if status:
                        planned.append((person.email, key, status, actions))
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
            ids.update(await self._store(to_store, now))
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
                await self._record_consents(group, [key], actions, consent, now)
        return results

    async def _by_emails(self, emails: Sequence[str]) -> dict[str, Subscriber]:
        rows = await self.db.fetch_all("subscriber_by_emails", {"emails": json.dumps(emails)})
        return {row["email"]: _subscriber(row) for row in rows}

    async def _store(
        self, people: Sequence[tuple[Person, Subscriber | None, str]], now: str
    ) -> dict[str, int]:
        """Insert new people and update known ones (inside a transaction); the new ids.

        `people`: (person as it must be stored, their stored record or None, address hash).
        """
        new = [
            [p.email, digest, *_person_fields(p)] for p, known, digest in people if known is None
        ]
        # In hash order: the hash index's random keys then fill its pages one after another,
        # which makes a large import's inserts a quarter faster.
        new.sort(key=lambda row: row[1])
        known = [[k.id, *_person_fields(p)] for p, k, _ in people if k is not None]
        if known:
            await self.db.execute("subscriber_update", {"people": json.dumps(known), "now": now})
        if not new:
            return {}
        rows = await self.db.fetch_all("subscriber_insert", {"people": json.dumps(new), "now": now})
        return {row["email"]: row["id"] for row in rows}

    async def _record_consents(
        self,
        ids: Sequence[int],
        lists: Sequence[str],
        actions: Sequence[str],
        consent: Consent,
        now: str,
    ) -> None:
        """One consent row per subscriber, list and action (actions in the order they happened)."""
        if ids and lists and actions:
            await self.db.execute(
                "subscriber_consent_insert",
                {
                    "ids": json.dumps(list(ids)),
                    "lists": json.dumps(list(lists)),
                    "actions": json.dumps(list(actions)),
                    "source": consent.source,
                    "consent_text": consent.text,
                    "consent_version": consent.version,
                    "ip": consent.ip,
                    "now": now,
                },
            )

    async def _end(self, subscriber_id: int, list_key: str, status: str, now: str) -> list[str]:
        """End one active subscription, or all ("*"), in `status` (inside a transaction); the
        lists ended."""
        rows = await self.db.fetch_all(
            "subscription_move",
            {
                "id": subscriber_id,
                "list": list_key,
                "from": json.dumps(list(ACTIVE)),
                "status": status,
                "now": now,
            },
        )
        return sorted(row["list"] for row in rows)

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
            await self._record_consents([subscriber_id], confirmed, ["confirm"], consent, now)
        return confirmed

    async def unsubscribe(
        self, subscriber_id: int, list_key: str, source: str, ip: str | None = None
    ) -> list[str]:
        """Leave one list or all ("*"); the lists actually left."""
        consent = Consent(source=source, text="", version="", ip=ip)
        now = utcnow()
        async with self.db.transaction():
            left = await self._end(subscriber_id, list_key, "unsubscribed", now)
            await self._record_consents([subscriber_id], left, ["unsubscribe"], consent, now)
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
        """Grant or withdraw membership, recorded with who did it and why; None if the address
        is unknown. A withdrawn membership ends the person's members-only subscriptions: they
        are for members; and, in the same transaction, the person's registrations to events
        their record no longer allows are cancelled by the events service (seats to the
        waiting lists, the person told by e-mail)."""
        # Imported here: the events service is built on this one.
        from hub.events.service import Events

        email = normalise_email(email)
        now = utcnow()
        async with self.db.transaction():
            row = await self.db.fetch_one("subscriber_by_email", {"email": email})
            if row is None:
                return None
            if bool(row["member"]) == member:
                return MembershipChange(changed=False, left=[])
            person = {"id": row["id"], "member": int(member), "now": now}
            await self.db.execute("subscriber_set_member", person)
            await self.db.execute(
                "membership_change_insert", person | {"source": source, "note": note}
            )
            left: list[str] = []
            reserved = [key for key, item in self.config.lists.items() if item.members_only]
            for key in [] if member else reserved:
                left += await self._end(row["id"], key, "unsubscribed", now)
            withdrawal = Consent(source=source, text=MEMBERSHIP_WITHDRAWN, version="")
            await self._record_consents([row["id"]], left, ["unsubscribe"], withdrawal, now)
            cancelled = (
                ()
                if member
                else await Events(self.db, self.config).cancel_ineligible(
                    row["id"], datetime.now(UTC)
                )
            )
        return MembershipChange(changed=True, left=left, cancelled=[e.title for e in cancelled])

    async def subscriptions(self, subscriber_id: int) -> dict[str, str]:
        rows = await self.db.fetch_all("subscription_of", {"id": subscriber_id})
        return {row["list"]: row["status"] for row in rows}

    async def suppress(self, email: str, reason: str, detail: str = "") -> None:
        """Block an address for good; a known person's current subscriptions end with it."""
        email = normalise_email(email)
        await self.verify_key()
        async with self.db.transaction():
            await self._suppress(email, reason, detail)

    async def _suppress(self, email: str, reason: str, detail: str) -> Subscriber | None:
        if reason not in SUPPRESSION_REASONS:
            raise ValueError(f"unknown suppression reason {reason!r}")
        now = utcnow()
        await self.db.execute(
            "subscriber_suppress",
            {"email_hash": self.hash(email), "reason": reason, "detail": detail, "now": now},
        )
        row = await self.db.fetch_one("subscriber_by_email", {"email": email})
        if row is None:
            return None
        await self._end(row["id"], ALL_LISTS, _SUPPRESSED_STATUS[reason], now)
        return _subscriber(row)

    async def is_suppressed(self, email: str) -> bool:
        return await self._suppression(normalise_email(email)) is not None

    async def _suppression(self, email: str) -> dict[str, Any] | None:
        await self.verify_key()
        row = await self.db.fetch_one("subscriber_suppression", {"email_hash": self.hash(email)})
        return dict(row) if row else None

    async def show(self, email: str) -> dict[str, Any] | None:
        """Everything held about a person (GDPR art. 15), JSON-able; None if unknown."""
        email = normalise_email(email)
        row = await self.db.fetch_one("subscriber_by_email", {"email": email})
        if row is None:
            return None
        person = dict(row)
        person["member"] = bool(person["member"])
        del person["token_nonce"]  # a technical part of the links, nothing about the person
        params = {"id": row["id"]}
        suppression = await self._suppression(email)
        return {
            "person": person,
            "subscriptions": _rows(await self.db.fetch_all("subscription_of", params)),
            "consents": _rows(await self.db.fetch_all("subscriber_consents", params)),
            "membership_changes": [
                {**row, "member": bool(row["member"])}
                for row in _rows(await self.db.fetch_all("subscriber_membership_changes", params))
            ],
            "sends": _rows(await self.db.fetch_all("subscriber_sends", params)),
            "delivery_events": _rows(await self.db.fetch_all("subscriber_delivery_events", params)),
            "registrations": [
                {**row, "answers": json.loads(row["answers"])}
                for row in _rows(await self.db.fetch_all("subscriber_registrations", params))
            ],
            "suppressed": suppression is not None,
            "suppression": suppression,
        }

    async def forget(self, email: str, *, block_unknown: bool = True) -> Erasure:
        """Erase a person (GDPR art. 17), known or not.

        The address is suppressed first: only its hash is kept, so that no later import or send
        can reach it again. An unknown address is suppressed only with `block_unknown`: a typo
        must not silently block a stranger. The person's row goes with their
        subscriptions and consents; the send log and delivery events keep only counts; texts
        that quote the address (bounce reasons, send errors) lose it; the messages the outbox
        backend wrote to it are deleted.
        """
        email = normalise_email(email)
        await self.verify_key()
        async with self.db.transaction():
            stored = await self.db.fetch_one("subscriber_by_email", {"email": email})
            block = block_unknown or stored is not None
            known = await self._suppress(email, "erased", "") if block else None
            await self.db.execute("signup_notice_forget", {"email_hash": self.hash(email)})
            if known is not None:
                await self.db.execute("subscriber_forget_sends", {"id": known.id, "email": email})
                await self.db.execute("subscriber_forget_events", {"id": known.id})
                await self.db.execute("subscriber_delete", {"id": known.id})
            for find, rewrite in _QUOTING_TEXTS:
                for row in await self.db.fetch_all(find, {"email": email}):
                    text = scrubbed(row["text"], email)
                    await self.db.execute(rewrite, {"key": row["key"], "text": text})
        removed = await asyncio.to_thread(remove_outbox_messages, outbox_folder(self.config), email)
        blocked = block or await self._suppression(email) is not None
        return Erasure(known=known is not None, outbox_messages=removed, blocked=blocked)

    async def export(self, list_key: str, status: str | None = None) -> list[dict[str, Any]]:
        """The people of a list (optionally in one status), by address."""
        self.config.mailing_list(list_key)
        if status is not None and status not in STATUSES:
            raise UserError(
                f"statut inconnu « {status} » ; statuts possibles : {', '.join(STATUSES)}"
            )
        rows = _rows(
            await self.db.fetch_all("subscription_export", {"list": list_key, "status": status})
        )
        for row in rows:
            row["member"] = bool(row["member"])
        return rows
