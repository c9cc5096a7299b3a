"""Delivering the e-mails of events: the rows the service queued in `event_messages`.

Each message is taken (pending → sending) in a transaction that also reads what it is about,
then rendered and handed to the backend outside any transaction, then marked sent or failed.
A message left `sending` (the process stopped mid-send, or the backend's answer was lost) is
never sent again: an invitation or a reminder twice is worse than one reported missing. What
no longer applies when its turn comes (a reminder for a cancelled registration, a place on the
waiting list already given up…) is recorded as `skipped`, with why.

What each e-mail says is `hub.events.emails`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.config import Config
from hub.db import Database
from hub.events.audience import Profile, refusal
from hub.events.emails import (
    CATEGORY,
    INVITING,
    REMINDER,
    SUBJECTS,
    TEMPLATES,
    WITH_VIDEO,
    WITHDRAWING,
    Pending,
    base_kind,
    compose,
)
from hub.events.model import REMINDER_PREFIX
from hub.events.service import Events
from hub.mail import BatchInDoubt, BatchRejected, Messenger, Recipient
from hub.subscribers.service import Subscribers
from hub.timeutil import to_utc_text

log = logging.getLogger("hub.events.mail")

__all__ = [
    "CATEGORY",
    "REMINDER",
    "SUBJECTS",
    "TEMPLATES",
    "WITH_VIDEO",
    "DeliveryReport",
    "Pending",
    "base_kind",
    "compose",
    "deliver_pending",
    "messages_in_doubt",
]


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # not taken by the backend (or not renderable): the error is kept
    skipped: int = 0  # no point any more (see `_skip_reason`): the reason is kept
    in_doubt: int = 0  # the backend may have taken it, its answer was lost: never resent

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.skipped + self.in_doubt


async def deliver_pending(
    db: Database,
    config: Config,
    messenger: Messenger,
    *,
    limit: int | None = None,
    stopping: asyncio.Event | None = None,
    events: Events | None = None,
    people: Subscribers | None = None,
) -> DeliveryReport:
    """Send the queued messages, oldest first (at most `limit`); one failing stops no other.
    When `stopping` is set, the message in hand is finished and no other is taken. `events`
    and `people`: the process's services (new ones when not given)."""
    people = people or (events.people if events else Subscribers(db, config))
    events = events or Events(db, config, people=people)
    await people.verify_key()  # outside any transaction, as it asks
    outcomes: Counter[str] = Counter()
    while limit is None or outcomes.total() < limit:
        if stopping is not None and stopping.is_set():
            break
        async with db.transaction():
            row = await db.fetch_one("event_message_claim")
            if row is None:
                break
            status = "skipped"
            try:
                taken = await _take(db, events, people, row)
            except Exception as exc:  # a message that cannot be read must not block the others
                log.exception("event mail unreadable", extra={"mail": row["id"]})
                taken, status = f"message illisible : {exc}", "failed"
            if isinstance(taken, str):
                await _record(db, row["id"], status, taken)
        if isinstance(taken, str):
            log.info(
                "event mail not sent",
                extra={"mail": row["id"], "kind": row["kind"], "status": status, "why": taken},
            )
            outcomes[status] += 1
            continue
        outcomes[await _deliver(db, config, messenger, taken)] += 1
    return DeliveryReport(**outcomes)


async def messages_in_doubt(db: Database) -> list[dict[str, Any]]:
    """Messages left `sending`, for staff: perhaps received, never resent."""
    return [dict(row) for row in await db.fetch_all("event_messages_in_doubt")]


async def _take(db: Database, events: Events, people: Subscribers, row: Any) -> Pending | str:
    """What the claimed message is about, or why it is no longer worth sending."""
    if base_kind(row["kind"]) not in TEMPLATES:
        raise ValueError(f"type de message inconnu « {row['kind']} »")
    registration = await events.registration(row["registration_id"])
    event = await events.get(registration.event_id)
    person = await people.get(registration.subscriber_id)
    assert person is not None  # erasing a person erases their registrations and messages
    params = {"registration_id": registration.id, "id": row["id"], "kind": row["kind"]}
    last = await db.fetch_one("event_message_last_calendar", params)
    pending = Pending(
        id=row["id"],
        kind=row["kind"],
        event=event,
        registration=registration,
        person=person,
        calendar_holds_it=last is not None and last["kind"] in INVITING,
    )
    if await people.is_suppressed(person.email):
        return "adresse bloquée (rejet définitif, plainte ou demande de l'intéressé)"
    if row["kind"] == "updated" and await db.fetch_one("event_message_superseded", params):
        return "un changement plus récent sera annoncé à la place"
    kind = base_kind(row["kind"])
    if kind not in (*WITHDRAWING, "offer_expired") and refusal(
        event.audience, Profile(person.role, person.member)
    ):
        # Eligibility is checked again when it matters: no reminder, invitation or video link
        # to someone whose record no longer allows the event.
        return "la fiche de la personne ne permet plus cet événement (public réservé)"
    return _skip_reason(pending, _now()) or pending


def _skip_reason(message: Pending, now: datetime) -> str | None:
    """Why a message no longer applies, checked when its turn comes: the registration or the
    event may have changed since it was queued (a later message then says so)."""
    status, event, kind = message.registration.status, message.event, base_kind(message.kind)
    if kind in WITHDRAWING:
        if kind in ("cancelled", "ineligible") and status != "cancelled":
            return "la personne s'est réinscrite depuis"
        return None
    if event.status == "cancelled":
        return "l'événement a été annulé depuis"
    if kind == "offer_expired":
        return None
    if event.ends_at <= now:
        return "l'événement est terminé"
    if message.kind.startswith(REMINDER_PREFIX) and event.starts_at <= now:
        return "l'événement a commencé"
    expected = {
        "confirmed": ("confirmed",),
        "promoted": ("confirmed",),
        "waitlisted": ("waitlisted",),
        "offered": ("offered",),
        "updated": ("confirmed", "offered"),
        REMINDER: ("confirmed",),
    }[kind]
    if status not in expected:
        return f"l'inscription n'est plus dans cet état (maintenant : {status})"
    expiry = message.registration.offer_expires_at
    if kind == "offered" and (expiry is None or expiry <= now):
        return "l'offre de place a expiré entre-temps"
    return None


async def _deliver(db: Database, config: Config, messenger: Messenger, message: Pending) -> str:
    """Render and send one taken message; the outcome recorded and returned."""
    where = {"mail": message.id, "kind": message.kind, "event_id": message.event.id}
    try:
        content = compose(config, message, _now())
    except Exception as exc:
        log.exception("event mail not rendered", extra=where)
        await _finish(db, message.id, "failed", f"rendu impossible : {exc}")
        return "failed"
    recipient = Recipient(email=message.person.email, first_name=message.person.first_name)
    try:
        (outcome,) = await messenger.send(content, [recipient])
    except BatchInDoubt as exc:
        return await _in_doubt(db, message, str(exc), where)
    except BatchRejected as exc:
        log.warning("event mail refused", extra={**where, "error": str(exc)})
        await _finish(db, message.id, "failed", str(exc))
        return "failed"
    except Exception as exc:  # a backend failing in a way it does not describe: maybe taken
        log.exception("event mail in doubt", extra=where)
        return await _in_doubt(db, message, f"{type(exc).__name__}: {exc}", where)
    if not outcome.accepted:
        log.warning("event mail refused", extra={**where, "error": outcome.error})
        await _finish(db, message.id, "failed", outcome.error or "refusé")
        return "failed"
    await _finish(db, message.id, "sent", None)
    log.info("event mail sent", extra={**where, "message_id": outcome.message_id})
    return "sent"


async def _in_doubt(db: Database, message: Pending, reason: str, where: dict[str, Any]) -> str:
    log.warning("event mail in doubt", extra={**where, "error": reason})
    async with db.transaction():
        await db.execute("event_message_in_doubt_note", {"id": message.id, "error": reason})
    return "in_doubt"


async def _finish(db: Database, message_id: int, status: str, error: str | None) -> None:
    """Record the outcome, in a transaction of its own."""
    async with db.transaction():
        await _record(db, message_id, status, error)


async def _record(db: Database, message_id: int, status: str, error: str | None) -> None:
    """Record the outcome inside the caller's transaction."""
    params = {"id": message_id, "status": status, "error": error, "now": to_utc_text(_now())}
    await db.execute("event_message_finish", params)


def _now() -> datetime:
    return datetime.now(UTC)
