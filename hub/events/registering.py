"""Registrations: made, read and answered.

Seats are never sold twice: the number of seats taken is counted again inside the write
transaction that gives one (`BEGIN IMMEDIATE`, which other processes wait behind), never read
from a counter; registrations arriving together are written together (`hub.group_commit`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hub.events.audience import LABELS as AUDIENCE_LABELS
from hub.events.audience import Profile, refusal
from hub.events.base import EventsBase
from hub.events.model import (
    SOURCES,
    Event,
    NotEligible,
    Refused,
    Registered,
    Registrant,
    Registration,
    Suppressed,
)
from hub.events.rules import check_answers, check_choice, utc_now
from hub.subscribers.service import ROLES, Person, normalise_email
from hub.timeutil import french_datetime, to_utc_text


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


class Registering(EventsBase):
    """Registrations: made (by a proven address or a typed one), read, answered."""

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
        registered = await self._submit(
            ref, person, source=source, answers=answers, ip=ip, staff=staff, typed=False
        )
        if registered.created:
            self.mail_queued()
        return registered

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
        if registered.created:
            self.mail_queued()
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
        check_choice(source, SOURCES, "canal")
        check_choice(person.role, ROLES, "rôle")
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

        now = utc_now()
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
            person = replace(request.person, email=request.email)
            subscriber_id = self.people.add_unlisted(conn, person, stamp)
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

    def closed_reason(self, event: Event, *, now: datetime | None = None) -> str | None:
        """Why nobody may register now (not published, over, outside its window), or None."""
        try:
            self._check_open(event, now or utc_now(), staff=False)
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
                    "now": to_utc_text(utc_now()),
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

    async def registrations(self, ref: str | int) -> list[Registrant]:
        """Staff's list of an event's registrations with each person: seats first, then the
        waiting list in order, then the cancelled."""
        event = await self.get(ref)
        rows = await self.db.fetch_all("registrations_of_event", {"event_id": event.id})
        return [
            Registrant(
                Registration.from_row(row, row["position"]),
                email=row["email"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                organisation=row["organisation"],
                role=row["role"],
                member=bool(row["member"]),
            )
            for row in rows
        ]
