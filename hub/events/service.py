"""Events and registrations: the one way in for every channel (CLI, web form, Discord).

`Events` is composed of one part per concept: the events themselves (`hub.events.catalogue`),
registrations (`hub.events.registering`), cancellations, the waiting list and offers
(`hub.events.seating`), the erasure of old registrations (`hub.events.purge`), on a shared
core (`hub.events.base`); the rules every event keeps are in `hub.events.rules`.

Seats are never sold twice: the number of seats taken is counted again inside the write
transaction that gives one, never read from a counter. Every change that owes someone an e-mail
writes that e-mail's row (`event_messages`) in the same transaction, so a crash can lose
neither; `hub.events.mailer` delivers them, and `mail_queued` is called after the commit so
that it does at once. Offers and promotions are rows too: they survive a restart.
"""

from __future__ import annotations

from hub.events.catalogue import Catalogue
from hub.events.outcomes import Cancelled, Edited, EventCancelled, SeatGiven
from hub.events.purge import PurgeReport, Purging
from hub.events.registering import Registering
from hub.events.rules import NewEvent, check_answers, slugify

__all__ = [
    "Cancelled",
    "Edited",
    "EventCancelled",
    "Events",
    "NewEvent",
    "PurgeReport",
    "SeatGiven",
    "check_answers",
    "slugify",
]


class Events(Catalogue, Registering, Purging):
    """Events and their registrations. Every write is one transaction.

    Build it once per process (`HubServices`): `Events(db, config, people=subscribers,
    mail_queued=wakeup.notify)`."""
