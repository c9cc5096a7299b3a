"""Events and registrations: the one way in for every channel (CLI, web form, Discord).

Seats are never sold twice: the number of seats taken is counted again inside the write
transaction that gives one (`BEGIN IMMEDIATE`, which other processes wait behind), never read
from a counter. Every change that owes someone an e-mail writes that e-mail's row
(`event_messages`) in the same transaction, so a crash can lose neither; `hub.events.mailer`
delivers them. Offers and promotions are rows too: they survive a restart.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from hub.config import (
    AUDIENCES,
    EVENT_MODES,
    WAITLIST_POLICIES,
    Config,
    Question,
)
from hub.db import Database
from hub.errors import UserError
from hub.events.audience import LABELS as AUDIENCE_LABELS
from hub.events.audience import Profile, refusal
from hub.events.model import (
    SEATED,
    SOURCES,
    Event,
    EventChanges,
    NotEligible,
    Refused,
    Registered,
    Registration,
    Suppressed,
)
from hub.subscribers.service import ROLES, Person, Subscribers, normalise_email
from hub.timeutil import add_months, french_datetime, from_utc_text, optional_utc_text, to_utc_text

# Changing one of these changes the invitation: SEQUENCE goes up, registrants are told.
_INVITATION_FIELDS = ("starts_at", "ends_at", "mode", "video_url", "venue", "address")


@dataclass(frozen=True)
class NewEvent:
    """What staff give to create an event; None takes the default of the event's kind."""

    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    description: str | None = None
    mode: str | None = None
    video_url: str = ""
    venue: str = ""
    address: str = ""
    audience: str | None = None
    capacity: int | None = None  # 0: no limit
    waitlist: str | None = None
    offer_hours: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    questions: list[Question] | None = None
    reminders_minutes: list[int] | None = None
    publish: bool = False
    slug: str | None = None


@dataclass(frozen=True)
class _Request:
    """A registration request on its way to the write transaction."""

    event_id: int
    email: str  # normalised
    person: Person
    source: str
    answers: dict[str, str]
    ip: str | None
    staff: bool
    seats_before: int | None  # only the race test's control run counts seats beforehand
    email_hash: str  # the suppression list's hash of the address
    typed: bool = False  # the address was typed, nobody proved it is theirs (`request`)


@dataclass(frozen=True)
class PurgeReport:
    events: int  # events whose registrations were erased
    registrations: int
    people: int  # people erased because the hub held nothing else about them


def slugify(text: str, max_length: int = 60) -> str:
    """'Journées Nationales 2026' → 'journees-nationales-2026' (cut between words)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[: max_length + 1].rsplit("-", 1)[0][:max_length]
    return slug or "evenement"


def _now() -> datetime:
    return datetime.now(UTC)


def _check_choice(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise UserError(f"{what} inconnu(e) « {value} » ; valeurs possibles : {', '.join(allowed)}")


def _check_event(event: Event, tz: Any) -> None:
    """The rules every event keeps, whether created or edited."""
    _check_choice(event.mode, EVENT_MODES, "mode")
    _check_choice(event.audience, AUDIENCES, "public")
    _check_choice(event.waitlist, WAITLIST_POLICIES, "liste d'attente")
    if not event.title.strip():
        raise UserError("le titre de l'événement est vide")
    if event.ends_at <= event.starts_at:
        raise UserError(
            f"la fin ({french_datetime(event.ends_at, tz)}) doit venir après le début "
            f"({french_datetime(event.starts_at, tz)})"
        )
    if event.capacity is not None and event.capacity < 0:
        raise UserError(f"capacité négative ({event.capacity}) ; 0 signifie sans limite")
    if event.offer_hours < 1:
        raise UserError(
            f"durée d'une offre de place : au moins 1 heure, trouvé {event.offer_hours}"
        )
    if event.mode == "in-person" and not event.venue.strip():
        raise UserError("un événement en présentiel demande un lieu (--venue)")
    if event.opens_at and event.closes_at and event.closes_at <= event.opens_at:
        raise UserError("les inscriptions doivent fermer après leur ouverture")
    if any(minutes < 1 for minutes in event.reminders_minutes):
        raise UserError("les rappels se comptent en minutes avant le début (au moins 1)")


def check_answers(event: Event, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers kept for the event's questions (others are dropped), or why they are not
    acceptable."""
    kept: dict[str, str] = {}
    for question in event.questions:
        value = (answers.get(question.key) or "").strip()
        if not value:
            if question.required:
                raise UserError(f"réponse manquante à la question « {question.label} »")
            continue
        if question.kind == "choice" and value not in question.choices:
            raise UserError(
                f"réponse « {value} » impossible à la question « {question.label} » ; "
                f"choix possibles : {', '.join(question.choices)}"
            )
        if len(value) > 2000:
            raise UserError(f"réponse trop longue à la question « {question.label} »")
        kept[question.key] = value
    return kept


class Events:
    """Events and their registrations. Every write is one transaction."""

    def __init__(self, db: Database, config: Config, *, seat_lock: bool = True) -> None:
        self.db = db
        self.config = config
        self.people = Subscribers(db, config)
        # Only the race test's control run turns this off, to show the race it prevents: the
        # seats are then counted before the write transaction, as a cached counter would be.
        self._seat_lock = seat_lock
        self._ids: dict[str, int] = {}

    # --- events -----------------------------------------------------------------------------

    async def get(self, ref: str | int) -> Event:
        """An event by id or slug; a `UserError` naming what was asked if there is none."""
        row = None
        if isinstance(ref, int) or str(ref).isdigit():
            row = await self.db.fetch_one("event_by_id", {"id": int(ref)})
        if row is None:
            row = await self.db.fetch_one("event_by_slug", {"slug": str(ref)})
        if row is None:
            raise UserError(
                f"événement inconnu « {ref} » ; `hub events list` donne les identifiants"
            )
        return Event.from_row(row)

    async def by_slug(self, slug: str) -> Event:
        """An event by its slug only, as public pages name events: ids are counted, and a
        visitor counting them would find events not meant for them."""
        row = await self.db.fetch_one("event_by_slug", {"slug": slug})
        if row is None:
            raise UserError(f"événement inconnu « {slug} »")
        return Event.from_row(row)

    async def _event_id(self, ref: str | int) -> int:
        """The id of an event named by id or slug; both never change, so they are cached."""
        key = str(ref)
        if key not in self._ids:
            self._ids[key] = (await self.get(ref)).id
        return self._ids[key]

    async def list(self, *, status: str | None = None, upcoming: bool = False) -> list[Event]:
        params = {"status": status, "from": to_utc_text(_now()) if upcoming else None}
        return [Event.from_row(row) for row in await self.db.fetch_all("event_list", params)]

    async def create(self, new: NewEvent) -> Event:
        kind = self.config.event_kind(new.kind)
        capacity = kind.capacity if new.capacity is None else new.capacity
        now = _now()
        event = Event(
            id=0,
            slug="",
            title=new.title.strip(),
            kind=new.kind,
            description=(kind.description if new.description is None else new.description),
            starts_at=new.starts_at,
            ends_at=new.ends_at,
            mode=new.mode or kind.mode,
            video_url=new.video_url.strip(),
            venue=new.venue.strip(),
            address=new.address.strip(),
            audience=new.audience or kind.audience,
            capacity=capacity or None,
            waitlist=new.waitlist or kind.waitlist,
            offer_hours=new.offer_hours or kind.offer_hours,
            opens_at=new.opens_at,
            closes_at=new.closes_at,
            questions=list(kind.questions if new.questions is None else new.questions),
            reminders_minutes=list(
                kind.reminders_minutes if new.reminders_minutes is None else new.reminders_minutes
            ),
            status="published" if new.publish else "draft",
            ics_uid=f"{uuid.uuid4()}@{self._uid_domain()}",
            ics_sequence=0,
            created_at=now,
            updated_at=now,
        )
        _check_event(event, self.config.tz)
        async with self.db.transaction():
            slug = await self._free_slug(
                new.slug
                or slugify(f"{event.title} {event.starts_at.astimezone(self.config.tz):%Y-%m-%d}")
            )
            row = await self.db.fetch_one(
                "event_insert",
                {
                    **self._columns(event),
                    "slug": slug,
                    "status": event.status,
                    "ics_uid": event.ics_uid,
                    "now": to_utc_text(now),
                },
            )
        assert row is not None
        return Event.from_row(row)

    async def edit(self, ref: str | int, changes: EventChanges) -> Event:
        """Change an event. A new time or place raises the invitation's SEQUENCE and tells every
        registrant with a seat; more seats go to the waiting list at once."""
        async with self.db.transaction():
            before = await self.get(ref)
            given = {k: v for k, v in asdict(changes).items() if v is not None}
            if "questions" in given:
                given["questions"] = changes.questions
            if "capacity" in given:
                given["capacity"] = given["capacity"] or None
            after = replace(before, **given)
            _check_event(after, self.config.tz)
            moved = any(getattr(before, f) != getattr(after, f) for f in _INVITATION_FIELDS)
            if moved:
                after = replace(after, ics_sequence=before.ics_sequence + 1)
            now = _now()
            row = await self.db.fetch_one(
                "event_update",
                {
                    **self._columns(after),
                    "id": before.id,
                    "ics_sequence": after.ics_sequence,
                    "now": to_utc_text(now),
                },
            )
            assert row is not None
            event = Event.from_row(row)
            if moved and event.status != "cancelled":
                await self._tell(event, SEATED, "updated", now)
            if before.starts_at != event.starts_at:
                await self.db.execute("event_reminders_reset", {"event_id": event.id})
            await self._fill_seats(event, now)
        return event

    async def publish(self, ref: str | int) -> Event:
        async with self.db.transaction():
            event = await self.get(ref)
            if event.status == "cancelled":
                raise UserError(f"« {event.title} » est annulé : il ne peut plus être publié")
            return await self._set_status(event, "published", bump=False)

    async def cancel(self, ref: str | int) -> Event:
        """Cancel the whole event; everyone registered (seat or waiting list) is told."""
        async with self.db.transaction():
            event = await self.get(ref)
            if event.status == "cancelled":
                return event
            event = await self._set_status(event, "cancelled", bump=True)
            await self._tell(event, (*SEATED, "waitlisted"), "event_cancelled", _now())
            return event

    async def counts(self, event: Event) -> dict[str, int]:
        """Registrations by status (after a purge: the counts kept)."""
        if event.final_counts is not None:
            return dict(event.final_counts)
        rows = await self.db.fetch_all("event_counts", {"event_id": event.id})
        return {row["status"]: row["n"] for row in rows}

    async def purgeable(self, *, now: datetime | None = None) -> list[Event]:
        """The events whose registrations `purge` erases: ended more than `purge_after_months`
        ago, not yet purged."""
        before = add_months(now or _now(), -self.config.events.purge_after_months)
        rows = await self.db.fetch_all("events_to_purge", {"before": to_utc_text(before)})
        return [Event.from_row(row) for row in rows]

    async def purge(self, *, now: datetime | None = None) -> PurgeReport:
        """Erase the registrations of the `purgeable` events, keeping anonymous counts; people
        stored only for them go too."""
        now = now or _now()
        events = registrations = people = 0
        async with self.db.transaction():
            for event in await self.purgeable(now=now):
                counts = await self.counts(event)
                deleted = await self.db.fetch_all("event_purge_registrations", {"id": event.id})
                await self.db.execute(
                    "event_purge",
                    {"id": event.id, "counts": json.dumps(counts), "now": to_utc_text(now)},
                )
                ids = sorted({r["subscriber_id"] for r in deleted})
                orphans = await self.db.fetch_all(
                    "people_without_anything", {"ids": json.dumps(ids)}
                )
                for orphan in orphans:
                    await self.db.execute("subscriber_delete", {"id": orphan["id"]})
                events += 1
                registrations += len(deleted)
                people += len(orphans)
        return PurgeReport(events, registrations, people)

    # --- registrations ----------------------------------------------------------------------

    async def register(
        self,
        ref: str | int,
        person: Person,
        *,
        source: str,
        answers: Mapping[str, str] | None = None,
        ip: str | None = None,
        staff: bool = False,
    ) -> Registered:
        """Register a person (created with what is given if unknown; a known person keeps their
        record, whose role and membership decide). `Refused` says why, and then nothing is
        stored; `Suppressed` for a blocked address, of which nothing is stored again. Registering
        again returns the existing registration. Staff (`staff=True`) may register outside the
        registration window, never outside the audience or the seats.

        For a person whose address is proven (staff, the person's signed link); an address
        typed by anyone goes through `request`."""
        return await self._submit(
            ref, person, source=source, answers=answers, ip=ip, staff=staff, typed=False
        )

    async def request(
        self,
        ref: str | int,
        person: Person,
        *,
        source: str,
        answers: Mapping[str, str] | None = None,
        ip: str | None = None,
    ) -> bool:
        """A registration asked for with an address anyone may have typed (a public form).

        The requester learns nothing about the address: whether it is new, registered, on the
        waiting list, cancelled or blocked, the outcome is the same to them, and the status
        goes by e-mail, to the address. So: only public events (others need the person's
        signed link); an existing registration is left as it is (a cancelled one is renewed
        only through the person's own link, `register`); a blocked address stores nothing.
        What the event itself refuses (closed, full without a waiting list) is refused for
        everyone alike (`Refused`). True when a registration was made (an e-mail is queued)."""
        try:
            registered = await self._submit(
                ref, person, source=source, answers=answers, ip=ip, staff=False, typed=True
            )
        except Suppressed:
            return False
        return registered.created

    async def _submit(
        self,
        ref: str | int,
        person: Person,
        *,
        source: str,
        answers: Mapping[str, str] | None,
        ip: str | None,
        staff: bool,
        typed: bool,
    ) -> Registered:
        _check_choice(source, SOURCES, "canal")
        _check_choice(person.role, ROLES, "rôle")
        email = normalise_email(person.email)
        await self.people.verify_key()  # the address is hashed with it
        event_id = await self._event_id(ref)
        seats_before = None if self._seat_lock else await self._seats_taken(event_id)
        request = _Request(
            event_id,
            email,
            person,
            source,
            dict(answers or {}),
            ip,
            staff,
            seats_before,
            self.people.hash(email),
            typed,
        )
        # Registrations arriving together are written together (hub.group_commit): the seats
        # are still counted inside the one write transaction, registration after registration.
        return await self.db.group_commit.run(lambda conn: self._register(conn, request))

    def _register(self, conn: sqlite3.Connection, request: _Request) -> Registered:
        """The registration itself, inside a write transaction (in the group-commit thread)."""

        def one(name: str, params: Mapping[str, Any]) -> sqlite3.Row | None:
            return next(iter(conn.execute(self.db.sql(name), params).fetchall()), None)

        now = _now()
        context = one(
            "registration_context", {"event_id": request.event_id, "email": request.email}
        )
        assert context is not None
        event = Event.from_row(context)
        # What the event refuses, before anything that depends on the person: a typed address
        # must get the same answer as any other.
        self._check_open(event, now, staff=request.staff)
        taken = context["seats_taken"] if request.seats_before is None else request.seats_before
        full = event.capacity is not None and taken >= event.capacity
        if request.typed:
            if event.audience != "public":
                raise NotEligible(
                    f"Cet événement est {AUDIENCE_LABELS[event.audience]} : l'inscription se "
                    "fait depuis le lien « Mes inscriptions » d'un e-mail de la fédération."
                )
            if full and event.waitlist == "none":
                raise Refused(f"« {event.title} » est complet, et sans liste d'attente.")
        if one("subscriber_suppression", {"email_hash": request.email_hash}) is not None:
            raise Suppressed(
                "Nos e-mails ne peuvent plus être envoyés à cette adresse (rejet définitif, "
                "signalement comme indésirable ou demande d'effacement) : aucune inscription "
                f"n'est enregistrée. Pour les reprendre : {self.config.federation.contact_email}."
            )
        known = context["person_id"] is not None
        profile = (
            Profile(context["person_role"], bool(context["person_member"]))
            if known
            else Profile(request.person.role, request.person.member)
        )
        reason = refusal(event.audience, profile)
        if reason:
            raise NotEligible(reason)
        existing = context["registration_status"]
        if existing is not None and (existing != "cancelled" or request.typed):
            row = one("registration_by_id", {"id": context["registration_id"]})
            assert row is not None
            position = None
            if row["status"] == "waitlisted":
                found = one(
                    "registration_position",
                    {"event_id": event.id, "queue_number": row["queue_number"]},
                )
                position = found["position"] if found else None
            return Registered(Registration.from_row(row, position), created=False)
        kept_answers = check_answers(event, request.answers)
        line = None
        if not full:
            status = "confirmed"
        elif event.waitlist == "none":
            raise Refused(f"« {event.title} » est complet, et sans liste d'attente.")
        else:
            status = "waitlisted"
            line = one("registration_end_of_line", {"event_id": event.id})
            assert line is not None
        stamp = to_utc_text(now)
        if known:
            subscriber_id = context["person_id"]
        else:  # stored for the registration only: no list, no newsletter
            person = request.person
            fields = [
                request.email,
                self.people.hash(request.email),
                person.first_name.strip(),
                person.last_name.strip(),
                person.organisation.strip(),
                person.role,
                int(person.member),
            ]
            added = one("subscriber_insert", {"people": json.dumps([fields]), "now": stamp})
            assert added is not None
            subscriber_id = added["id"]
        params = {
            "event_id": event.id,
            "subscriber_id": subscriber_id,
            "status": status,
            "source": request.source,
            "answers": json.dumps(kept_answers, ensure_ascii=False),
            "consent_text": self.config.events.consent_text,
            "consent_version": self.config.events.consent_version,
            "ip": request.ip,
            "waitlisted_at": stamp if line else None,
            "queue_number": line["queue_number"] if line else None,
            "confirmed_at": None if line else stamp,
            "now": stamp,
        }
        if context["registration_id"] is None:
            row = one("registration_insert", params)
        else:
            row = one("registration_renew", {**params, "id": context["registration_id"]})
        assert row is not None
        one("event_message_insert", {"registration_id": row["id"], "kind": status, "now": stamp})
        return Registered(
            Registration.from_row(row, line["position"] if line else None), created=True
        )

    async def unregister(self, ref: str | int, email: str) -> Registration:
        """Cancel a person's registration (staff, by address)."""
        event = await self.get(ref)
        person = await self.people.find(email)
        row = (
            await self.db.fetch_one(
                "registration_of", {"event_id": event.id, "subscriber_id": person.id}
            )
            if person
            else None
        )
        if row is None:
            raise UserError(f"{email} n'est pas inscrit(e) à « {event.title} »")
        return await self.cancel_registration(row["id"])

    async def cancel_registration(self, registration_id: int) -> Registration:
        """Cancel one registration; a seat it held goes to the waiting list at once."""
        async with self.db.transaction():
            row = await self._registration_row(registration_id)
            if row["status"] == "cancelled":
                return Registration.from_row(row)
            now = _now()
            row = await self._set_registration(row["id"], "cancelled", now)
            await self._queue(row["id"], "cancelled", now)
            await self._fill_seats(await self.get(row["event_id"]), now)
            return Registration.from_row(row)

    async def withdraw_person(self, subscriber_id: int) -> int:
        """Before a person is erased: their registrations are cancelled and the seats they held
        go to the waiting lists, as for any cancellation; nobody writes to the erased person.
        The number of registrations withdrawn."""
        async with self.db.transaction():
            return await self.withdraw_person_within(subscriber_id)

    async def withdraw_person_within(self, subscriber_id: int) -> int:
        """`withdraw_person` inside the caller's transaction (`hub.privacy.Privacy.forget`
        erases the person in the same one); the caller tells the mail worker after it
        committed (the seats freed may have queued offers)."""
        rows = await self.db.fetch_all(
            "registrations_to_withdraw", {"subscriber_id": subscriber_id}
        )
        now = _now()
        for row in rows:
            await self._set_registration(row["id"], "cancelled", now)
        for event_id in sorted({row["event_id"] for row in rows}):
            await self._fill_seats(await self.get(event_id), now)
        return len(rows)

    async def cancel_ineligible(self, subscriber_id: int, now: datetime) -> tuple[Event, ...]:
        """Inside the caller's transaction (`Subscribers.set_member`): cancel the person's
        registrations to events not over that their record no longer allows. Each is told
        (an "ineligible" e-mail, queued with the change) and the seats go to the waiting
        lists. The events concerned."""
        person = await self.people.get(subscriber_id)
        if person is None:
            return ()
        profile = Profile(person.role, person.member)
        cancelled: tuple[Event, ...] = ()
        for row in await self.db.fetch_all(
            "registrations_current_of",
            {"subscriber_id": subscriber_id, "now": to_utc_text(now)},
        ):
            event = await self.get(row["event_id"])
            if refusal(event.audience, profile) is None:
                continue
            await self._set_registration(row["id"], "cancelled", now)
            await self._queue(row["id"], "ineligible", now)
            await self._fill_seats(event, now)
            cancelled += (event,)
        return cancelled

    async def accept_offer(self, registration_id: int) -> Registration:
        """Take up a seat offered from the waiting list, while the offer lasts."""
        async with self.db.transaction():
            row = await self._registration_row(registration_id)
            if row["status"] == "confirmed":
                return Registration.from_row(row)
            now = _now()
            event = await self.get(row["event_id"])
            if event.status != "published" or event.ends_at <= now:
                raise Refused(
                    f"« {event.title} » est annulé ou terminé : "
                    "la place ne peut plus être acceptée."
                )
            registration = Registration.from_row(row)
            person = await self.people.get(registration.subscriber_id)
            assert person is not None  # erasing a person withdraws their registrations
            reason = refusal(event.audience, Profile(person.role, person.member))
            if reason:
                raise NotEligible(reason)
            expiry = registration.offer_expires_at
            if row["status"] != "offered" or expiry is None or expiry <= now:
                raise Refused(
                    "Cette offre de place n'est plus valable : le délai pour l'accepter est passé "
                    "et la place a été proposée à la personne suivante."
                )
            row = await self._set_registration(row["id"], "confirmed", now)
            await self._queue(row["id"], "confirmed", now)
            return Registration.from_row(row)

    async def expire_offers(self, *, now: datetime | None = None) -> int:
        """Offers not taken in time: the person is told, the seat goes to the next in line."""
        now = now or _now()
        async with self.db.transaction():
            rows = await self.db.fetch_all("registration_expired_offers", {"now": to_utc_text(now)})
            for row in rows:
                await self._set_registration(row["id"], "cancelled", now)
                await self._queue(row["id"], "offer_expired", now)
            for event_id in sorted({row["event_id"] for row in rows}):
                await self._fill_seats(await self.get(event_id), now)
        return len(rows)

    async def next_offer_expiry(self) -> datetime | None:
        row = await self.db.fetch_one("registration_next_offer_expiry")
        return from_utc_text(row["at"]) if row else None

    async def set_answers(self, registration_id: int, answers: Mapping[str, str]) -> Registration:
        async with self.db.transaction():
            row = await self._registration_row(registration_id)
            event = await self.get(row["event_id"])
            kept = check_answers(event, answers)
            row = await self.db.fetch_one(
                "registration_set_answers",
                {
                    "id": registration_id,
                    "answers": json.dumps(kept, ensure_ascii=False),
                    "now": to_utc_text(_now()),
                },
            )
            assert row is not None
            return Registration.from_row(row)

    async def registration(self, registration_id: int) -> Registration:
        return await self._with_position(await self._registration_row(registration_id))

    async def registrations_of(self, subscriber_id: int) -> list[tuple[Event, Registration]]:
        """A person's registrations ("mes inscriptions"), by event date."""
        rows = await self.db.fetch_all(
            "registrations_of_subscriber", {"subscriber_id": subscriber_id}
        )
        return [
            (await self.get(row["event_id"]), Registration.from_row(row, row["position"]))
            for row in rows
        ]

    async def registrations(self, ref: str | int) -> list[dict[str, Any]]:
        """Staff's list of an event's registrations: person, status, position, answers."""
        event = await self.get(ref)
        rows = await self.db.fetch_all("registrations_of_event", {"event_id": event.id})
        result = []
        for row in rows:
            item = dict(row)
            item["answers"] = json.loads(item["answers"])
            item["member"] = bool(item["member"])
            result.append(item)
        return result

    # --- inside transactions ----------------------------------------------------------------

    def closed_reason(self, event: Event, *, now: datetime | None = None) -> str | None:
        """Why nobody may register now (not published, over, outside its window), or None."""
        try:
            self._check_open(event, now or _now(), staff=False)
        except Refused as exc:
            return str(exc)
        return None

    def _check_open(self, event: Event, now: datetime, *, staff: bool) -> None:
        if event.status != "published":
            state = "annulé" if event.status == "cancelled" else "pas encore publié"
            raise Refused(f"« {event.title} » est {state} : les inscriptions ne sont pas ouvertes.")
        if event.ends_at <= now:
            raise Refused(f"« {event.title} » est terminé.")
        if staff:
            return
        tz = self.config.tz
        if event.opens_at and now < event.opens_at:
            raise Refused(
                f"Les inscriptions à « {event.title} » ouvrent le "
                f"{french_datetime(event.opens_at, tz)}."
            )
        closes = event.closes_at or event.starts_at
        if now >= closes:
            raise Refused(
                f"Les inscriptions à « {event.title} » sont closes depuis le "
                f"{french_datetime(closes, tz)}."
            )

    async def _seats_taken(self, event_id: int) -> int:
        row = await self.db.fetch_one("event_seats_taken", {"event_id": event_id})
        return row["taken"] if row else 0

    async def _fill_seats(self, event: Event, now: datetime) -> None:
        """Give free seats to the waiting list, in order: confirmed at once (`auto`) or held
        for `offer_hours` (`offer`, never past the start)."""
        if event.status != "published" or event.ends_at <= now:
            return
        free = (
            None if event.capacity is None else event.capacity - await self._seats_taken(event.id)
        )
        if free is not None and free <= 0:
            return
        for row in await self.db.fetch_all("registration_line", {"event_id": event.id}):
            if free is not None and free <= 0:
                break
            # Eligibility again: the record may have changed since the person joined the line.
            if refusal(event.audience, Profile(row["person_role"], bool(row["person_member"]))):
                await self._set_registration(row["id"], "cancelled", now)
                await self._queue(row["id"], "ineligible", now)
                continue
            if free is not None:
                free -= 1
            if event.waitlist == "offer":
                expires = min(now + timedelta(hours=event.offer_hours), event.starts_at)
                await self._set_registration(row["id"], "offered", now, offer_expires_at=expires)
                await self._queue(row["id"], "offered", now)
            else:
                await self._set_registration(row["id"], "confirmed", now)
                await self._queue(row["id"], "promoted", now)

    async def _set_status(self, event: Event, status: str, *, bump: bool) -> Event:
        row = await self.db.fetch_one(
            "event_set_status",
            {"id": event.id, "status": status, "bump": int(bump), "now": to_utc_text(_now())},
        )
        assert row is not None
        return Event.from_row(row)

    async def _set_registration(
        self,
        registration_id: int,
        status: str,
        now: datetime,
        *,
        offer_expires_at: datetime | None = None,
    ) -> Any:
        return await self.db.fetch_one(
            "registration_set_status",
            {
                "id": registration_id,
                "status": status,
                "offer_expires_at": optional_utc_text(offer_expires_at),
                "now": to_utc_text(now),
            },
        )

    async def _queue(self, registration_id: int, kind: str, now: datetime) -> None:
        await self.db.execute(
            "event_message_insert",
            {"registration_id": registration_id, "kind": kind, "now": to_utc_text(now)},
        )

    async def _tell(self, event: Event, statuses: Sequence[str], kind: str, now: datetime) -> None:
        rows = await self.db.fetch_all(
            "registrations_with_status",
            {"event_id": event.id, "statuses": json.dumps(list(statuses))},
        )
        await self.db.execute(
            "event_message_insert_many",
            {
                "registration_ids": json.dumps([row["id"] for row in rows]),
                "kind": kind,
                "now": to_utc_text(now),
            },
        )

    async def _registration_row(self, registration_id: int) -> Any:
        row = await self.db.fetch_one("registration_by_id", {"id": registration_id})
        if row is None:
            raise UserError(f"inscription inconnue (n° {registration_id})")
        return row

    async def _with_position(self, row: Any) -> Registration:
        position = None
        if row["status"] == "waitlisted":
            found = await self.db.fetch_one(
                "registration_position",
                {"event_id": row["event_id"], "queue_number": row["queue_number"]},
            )
            position = found["position"] if found else None
        return Registration.from_row(row, position)

    async def _free_slug(self, base: str) -> str:
        slug, n = base, 1
        while await self.db.fetch_one("event_slug_taken", {"slug": slug}):
            n += 1
            slug = f"{base}-{n}"
        return slug

    def _columns(self, event: Event) -> dict[str, Any]:
        return {
            "title": event.title,
            "kind": event.kind,
            "description": event.description,
            "starts_at": to_utc_text(event.starts_at),
            "ends_at": to_utc_text(event.ends_at),
            "mode": event.mode,
            "video_url": event.video_url,
            "venue": event.venue,
            "address": event.address,
            "audience": event.audience,
            "capacity": event.capacity,
            "waitlist": event.waitlist,
            "offer_hours": event.offer_hours,
            "opens_at": optional_utc_text(event.opens_at),
            "closes_at": optional_utc_text(event.closes_at),
            "questions": json.dumps([asdict(q) for q in event.questions], ensure_ascii=False),
            "reminders": json.dumps(event.reminders_minutes),
        }

    def _uid_domain(self) -> str:
        return urlsplit(self.config.federation.website).hostname or "fcpts.org"
