"""Outgoing mail: what is sent (`Content`), to whom (`Recipient`), and the `Messenger` interface
that every delivery backend (outbox, smtp, sendgrid) implements.

Content is rendered once, with the per-recipient placeholders of `hub.mail.placeholders`
(`[[first_name]]`, `[[unsubscribe_url]]`, `[[preferences_url]]`) left in; each backend fills them
per recipient (SendGrid through substitutions, so the HTML travels as rendered).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

ITIP_METHODS = ("PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER")


@dataclass(frozen=True)
class CalendarPart:
    """A calendar invitation (RFC 5545 iTIP) travelling with the mail, so that mail clients
    show "accept / decline" buttons and put the event in the person's calendar."""

    method: str  # "REQUEST" | "CANCEL": the iTIP method, also the VCALENDAR's METHOD
    ics: str  # the VCALENDAR text

    def __post_init__(self) -> None:
        if self.method not in ITIP_METHODS:  # it goes into a MIME header as it is
            raise ValueError(f"calendar method {self.method!r}: one of {ITIP_METHODS}")


@dataclass(frozen=True)
class Content:
    subject: str
    html: str
    text: str
    category: str  # the edition's key, or "transactionnel": SendGrid category, outbox folder
    campaign_id: int | None = None
    provider_batch_id: str | None = None  # SendGrid batch_id of the campaign
    # Newsletters carry List-Unsubscribe (RFC 2369/8058); a confirmation request does not.
    list_unsubscribe: bool = True
    calendar: CalendarPart | None = None  # an event's invitation or its cancellation


@dataclass(frozen=True)
class Recipient:
    email: str
    first_name: str = ""
    unsubscribe_url: str = ""  # this person's signed one-click link (https://…/u/TOKEN)
    preferences_url: str = ""
    send_log_id: int | None = None  # ties provider events back to the send log


@dataclass(frozen=True)
class Outcome:
    """What the provider said about one recipient of a batch."""

    recipient: Recipient
    message_id: str | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


class BatchRejected(Exception):
    """The provider refused the whole batch, or kept failing after the retries: nothing of it
    was accepted. The message is the provider's own, stored with the batch."""


class BatchInDoubt(BatchRejected):
    """The request left but its answer was lost (a timeout or a connection dropped after it
    was written): the provider may have taken it. Sending it again could mail people twice, so
    it is never resent by itself; staff decide (`hub campaign retry ID --in-doubt`).

    `settled` holds the outcomes known for sure (SMTP confirms message by message); the
    batch's other recipients are the ones in doubt. A `BatchRejected` for callers that only
    need "not confirmed" (a transactional notice); the campaign sender tells the two apart."""

    def __init__(self, reason: str, settled: Sequence[Outcome] = ()) -> None:
        super().__init__(reason)
        self.settled = list(settled)


class CancelledBeforeSending(asyncio.CancelledError):
    """The send was cancelled (shutdown) while nothing of the batch could have reached the
    provider (waiting to connect, or before a retry): the batch can simply go back in the
    queue. A plain cancellation mid-send leaves the batch in doubt."""


class Messenger(Protocol):
    """A delivery backend. `send` hands one batch (at most `max_batch` recipients) to the
    provider and returns one outcome per recipient, or raises `BatchRejected` (nothing taken)
    or `BatchInDoubt` (perhaps taken). Backends retry only what they know was not taken."""

    name: str
    max_batch: int

    async def send(self, content: Content, recipients: Sequence[Recipient]) -> list[Outcome]: ...

    async def close(self) -> None: ...
