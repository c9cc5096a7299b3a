"""What an event operation did, as every channel reports it.

The service says who got a freed seat, who was told of a change, what a registration was
before it was cancelled: a channel prints or shows these, it never works them out again by
comparing the registrations before and after (which another request could change meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.events.model import Event, Registration, RegistrationStatus


@dataclass(frozen=True)
class SeatGiven:
    """A seat freed and given to the next in line: confirmed at once (the event's waiting list
    is `auto`) or held for them until `registration.offer_expires_at` (`offer`)."""

    registration: Registration
    email: str


@dataclass(frozen=True)
class Seats:
    """The seats an operation gave from the waiting list, in the list's order."""

    promoted: tuple[SeatGiven, ...] = ()  # confirmed at once
    offered: tuple[SeatGiven, ...] = ()  # held, to accept in time

    def __add__(self, other: Seats) -> Seats:
        return Seats(self.promoted + other.promoted, self.offered + other.offered)


@dataclass(frozen=True)
class Cancelled:
    """A registration cancelled (`unregister`, `cancel_registration`)."""

    registration: Registration  # as it is now: cancelled
    # Its status before; "cancelled" when it already was (then nothing changed).
    was: RegistrationStatus
    promoted: tuple[SeatGiven, ...] = ()
    offered: tuple[SeatGiven, ...] = ()

    @property
    def changed(self) -> bool:
        return self.was != "cancelled"


@dataclass(frozen=True)
class EventCancelled:
    """A whole event cancelled (`cancel`)."""

    event: Event  # as it is now: cancelled
    told: int  # registrants (seats and waiting list) sent the cancellation
    changed: bool = True  # False: it was cancelled already, nothing was done


@dataclass(frozen=True)
class Edited:
    """An event changed (`edit`)."""

    event: Event  # as it is now
    invitation_changed: bool  # a new time or place: SEQUENCE went up
    reinvited: int  # registrants with a seat sent the updated invitation
    promoted: tuple[SeatGiven, ...] = ()  # more seats: the waiting list served at once
    offered: tuple[SeatGiven, ...] = ()
