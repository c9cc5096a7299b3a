"""Events and registrations as the rest of the hub sees them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

import aiosqlite

from hub.config import Config, Question
from hub.errors import UserError
from hub.records import from_row

EventStatus = Literal["draft", "published", "cancelled"]
RegistrationStatus = Literal["confirmed", "offered", "waitlisted", "cancelled"]
STATUSES: tuple[EventStatus, ...] = get_args(EventStatus)
REGISTRATION_STATUSES: tuple[RegistrationStatus, ...] = get_args(RegistrationStatus)
SOURCES = ("web", "cli", "discord")
# Who holds a seat: the confirmed, and those a seat is being held for.
SEATED: tuple[RegistrationStatus, ...] = ("confirmed", "offered")


def seats_held(counts: Mapping[str, int]) -> int:
    """The seats held, given the registrations by status (`Events.counts`)."""
    return sum(counts.get(status, 0) for status in SEATED)


# The e-mails a registration causes (event_messages.kind), besides scheduled reminders.
MESSAGE_KINDS = (
    "confirmed",  # registered with a seat (or accepted an offer): invitation METHOD:REQUEST
    "waitlisted",  # on the waiting list, at a position
    "offered",  # a seat is held until offer_expires_at, with an accept link
    "promoted",  # a freed seat was given automatically: invitation METHOD:REQUEST
    "offer_expired",  # the offer was not taken in time; the seat went to the next person
    "cancelled",  # the person's registration is cancelled: METHOD:CANCEL if they had a seat
    "updated",  # the event's time or place changed: METHOD:REQUEST, same UID, higher SEQUENCE
    "event_cancelled",  # the whole event is cancelled: METHOD:CANCEL
    "reminder",  # sent now by staff (`hub events remind`), as often as they ask
    "ineligible",  # cancelled: the person's record no longer allows the event (METHOD:CANCEL)
)
# Scheduled reminders are "reminder:<minutes before the start>", at most one each.
REMINDER_PREFIX = "reminder:"


class EventNotFound(UserError):
    """No event has this id or slug (`ref`, as it was asked for)."""

    def __init__(self, ref: str | int) -> None:
        super().__init__(f"événement inconnu « {ref} »")
        self.ref = ref


class RegistrationNotFound(UserError):
    """No registration has this id."""

    def __init__(self, registration_id: int) -> None:
        super().__init__(f"inscription inconnue (n° {registration_id})")
        self.registration_id = registration_id


class NotRegistered(UserError):
    """The person (`email`, as given) has no registration to the event."""

    def __init__(self, email: str, event: Event) -> None:
        super().__init__(f"{email} n'est pas inscrit(e) à « {event.title} »")
        self.email = email
        self.event = event


class InvalidEvent(UserError):
    """An event that breaks a rule every event keeps; `field` names the field at fault (an
    `Event` field name, so each channel can point at its own input)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Refused(UserError):
    """A registration that cannot be made (not eligible, closed, full…); nothing was stored.
    The message is meant for the person, in French."""


class NotEligible(Refused):
    """The person is not in the event's audience."""


class Suppressed(Refused):
    """The address is on the suppression list (bounced, complained, erased, blocked by staff):
    nothing is stored about it again, as `Subscribers.subscribe_many` does for the lists."""


@dataclass(frozen=True)
class Event:
    id: int
    slug: str
    title: str
    kind: str
    description: str
    starts_at: datetime
    ends_at: datetime
    mode: str  # online | in-person
    video_url: str
    venue: str
    address: str
    audience: str
    capacity: int | None  # None: no limit
    waitlist: str  # auto | offer | none
    offer_hours: int
    opens_at: datetime | None
    closes_at: datetime | None
    questions: list[Question]
    reminders_minutes: list[int]
    status: EventStatus
    ics_uid: str
    ics_sequence: int
    created_at: datetime
    updated_at: datetime
    purged_at: datetime | None = None
    final_counts: dict[str, int] | None = None

    @property
    def online(self) -> bool:
        return self.mode == "online"

    def seats_left(self, counts: Mapping[str, int]) -> int | None:
        """Seats nobody holds, given the registrations by status (`Events.counts`); None when
        the event has no limit. Never below 0."""
        if self.capacity is None:
            return None
        return max(0, self.capacity - seats_held(counts))

    def can_cancel(self, now: datetime) -> bool:
        """Whether registrations to it may still be cancelled (or offers taken): it is
        published and not over."""
        return self.status == "published" and self.ends_at > now

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Event:
        return from_row(
            cls,
            row,
            questions=[Question(**q) for q in json.loads(row["questions"])],
            reminders_minutes=list(json.loads(row["reminders"])),
            final_counts=json.loads(row["final_counts"]) if row["final_counts"] else None,
        )


@dataclass(frozen=True)
class Registration:
    id: int
    event_id: int
    subscriber_id: int
    status: RegistrationStatus
    source: str
    answers: dict[str, str]
    waitlisted_at: datetime | None
    offer_expires_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    position: int | None = None  # on the waiting list, 1 for the next in line

    def offer_open(self, event: Event, now: datetime) -> bool:
        """Whether the seat offered to this registration (of `event`) may still be accepted."""
        expiry = self.offer_expires_at
        return (
            self.status == "offered"
            and expiry is not None
            and expiry > now
            and event.can_cancel(now)
        )

    @classmethod
    def from_row(cls, row: aiosqlite.Row, position: int | None = None) -> Registration:
        return from_row(cls, row, answers=json.loads(row["answers"]), position=position)


@dataclass(frozen=True)
class Registrant:
    """A registration with the person's record, as staff list them (`Events.registrations`)."""

    registration: Registration  # with its position on the waiting list
    email: str
    first_name: str
    last_name: str
    organisation: str
    role: str
    member: bool

    @property
    def status(self) -> RegistrationStatus:
        return self.registration.status

    @property
    def position(self) -> int | None:
        return self.registration.position


@dataclass(frozen=True)
class Registered:
    """The answer to a registration request: the registration, and whether it is new (False:
    the person was already registered, and that registration is returned unchanged)."""

    registration: Registration
    created: bool


@dataclass(frozen=True)
class EventChanges:
    """What `edit` may change; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    mode: str | None = None
    video_url: str | None = None
    venue: str | None = None
    address: str | None = None
    audience: str | None = None
    capacity: int | None = None  # 0: no limit
    waitlist: str | None = None
    offer_hours: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    questions: list[Question] | None = None
    reminders_minutes: list[int] | None = None


def page_url(config: Config, event: Event) -> str:
    """The event's public page, where one registers (its slug: pages never resolve ids)."""
    return f"{config.web.base_url.rstrip('/')}/evenements/{event.slug}"
