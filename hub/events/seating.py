"""Seats freed and given again: cancellations, the waiting list, offers and their deadlines.

A freed seat goes to the waiting list in the transaction that frees it, in order: confirmed at
once (`auto`) or held for `offer_hours` (`offer`); the person is told by an e-mail row written
in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.events.audience import Profile, refusal
from hub.events.base import EventsBase
from hub.events.model import Event, NotEligible, NotRegistered, Refused, Registration
from hub.events.outcomes import Cancelled, SeatGiven, Seats
from hub.events.rules import utc_now
from hub.timeutil import from_utc_text, to_utc_text


class Seating(EventsBase):
    """Cancellations, the waiting list and the seats it is offered or given."""

    async def unregister(self, ref: str | int, email: str) -> Cancelled:
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
            raise NotRegistered(email, event)
        return await self.cancel_registration(row["id"])

    async def cancel_registration(self, registration_id: int) -> Cancelled:
        """Cancel one registration; a seat it held goes to the waiting list at once."""
        async with self.db.transaction():
            row = await self._registration_row(registration_id)
            was = row["status"]
            if was == "cancelled":
                return Cancelled(Registration.from_row(row), was)
            now = utc_now()
            row = await self._set_registration(row["id"], "cancelled", now)
            await self._queue(row["id"], "cancelled", now)
            seats = await self._fill_seats(await self.get(row["event_id"]), now)
        self.mail_queued()
        return Cancelled(Registration.from_row(row), was, seats.promoted, seats.offered)

    async def withdraw_person(self, subscriber_id: int) -> int:
        """Before a person is erased: their registrations are cancelled and the seats they held
        go to the waiting lists, as for any cancellation; nobody writes to the erased person.
        The number of registrations withdrawn."""
        async with self.db.transaction():
            withdrawn, seats = await self._withdraw(subscriber_id)
        if seats.promoted or seats.offered:
            self.mail_queued()
        return withdrawn

    async def withdraw_person_within(self, subscriber_id: int) -> int:
        """`withdraw_person` inside the caller's transaction (`hub.privacy.Privacy.forget`
        erases the person in the same one); the caller tells the mail worker after it
        committed (the seats freed may have queued offers)."""
        withdrawn, _ = await self._withdraw(subscriber_id)
        return withdrawn

    async def _withdraw(self, subscriber_id: int) -> tuple[int, Seats]:
        rows = await self.db.fetch_all(
            "registrations_to_withdraw", {"subscriber_id": subscriber_id}
        )
        now = utc_now()
        for row in rows:
            await self._set_registration(row["id"], "cancelled", now)
        seats = Seats()
        for event_id in sorted({row["event_id"] for row in rows}):
            seats += await self._fill_seats(await self.get(event_id), now)
        return len(rows), seats

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
            now = utc_now()
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
            if not registration.offer_open(event, now):
                raise Refused(
                    "Cette offre de place n'est plus valable : le délai pour l'accepter est passé "
                    "et la place a été proposée à la personne suivante."
                )
            row = await self._set_registration(row["id"], "confirmed", now)
            await self._queue(row["id"], "confirmed", now)
        self.mail_queued()
        return Registration.from_row(row)

    async def expire_offers(self, *, now: datetime | None = None) -> int:
        """Offers not taken in time: the person is told, the seat goes to the next in line."""
        now = now or utc_now()
        async with self.db.transaction():
            rows = await self.db.fetch_all("registration_expired_offers", {"now": to_utc_text(now)})
            for row in rows:
                await self._set_registration(row["id"], "cancelled", now)
                await self._queue(row["id"], "offer_expired", now)
            for event_id in sorted({row["event_id"] for row in rows}):
                await self._fill_seats(await self.get(event_id), now)
        if rows:
            self.mail_queued()
        return len(rows)

    async def next_offer_expiry(self) -> datetime | None:
        row = await self.db.fetch_one("registration_next_offer_expiry")
        return from_utc_text(row["at"]) if row else None

    async def _fill_seats(self, event: Event, now: datetime) -> Seats:
        """Give free seats to the waiting list, in order: confirmed at once (`auto`) or held
        for `offer_hours` (`offer`, never past the start). The seats given."""
        promoted: list[SeatGiven] = []
        offered: list[SeatGiven] = []
        if event.status != "published" or event.ends_at <= now:
            return Seats()
        free = (
            None if event.capacity is None else event.capacity - await self._seats_taken(event.id)
        )
        if free is not None and free <= 0:
            return Seats()
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
                given = await self._set_registration(
                    row["id"], "offered", now, offer_expires_at=expires
                )
                await self._queue(row["id"], "offered", now)
                offered.append(SeatGiven(Registration.from_row(given), row["person_email"]))
            else:
                given = await self._set_registration(row["id"], "confirmed", now)
                await self._queue(row["id"], "promoted", now)
                promoted.append(SeatGiven(Registration.from_row(given), row["person_email"]))
        return Seats(tuple(promoted), tuple(offered))
