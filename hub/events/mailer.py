"""Delivering the e-mails of events: the rows the service queued in `event_messages`.

Each message is taken (pending → sending) in a transaction that also reads what it is about,
then rendered and handed to the backend outside any transaction, then marked sent or failed.
A message left `sending` (the process stopped mid-send, or the backend's answer was lost) is
never sent again: an invitation or a reminder twice is worse than one reported missing. What
no longer applies when its turn comes (a reminder for a cancelled registration, a place on the
waiting list already given up…) is recorded as `skipped`, with why.

The e-mails are French, rendered by the newsletters' machinery on `templates/mjml/base.mjml.j2`
(as `hub.notices` does), and carry the person's "mes inscriptions" link. Invitations carry
their `.ics` (`CalendarPart`): REQUEST with a seat, CANCEL when a calendar holds the event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from hub.config import Config
from hub.db import Database
from hub.events.audience import Profile, refusal
from hub.events.ics import invitation
from hub.events.model import REMINDER_PREFIX, Event, Registration
from hub.events.service import Events
from hub.events.wording import soon as soon_text
from hub.events.wording import when
from hub.mail import BatchInDoubt, BatchRejected, CalendarPart, Content, Messenger, Recipient
from hub.mail.message import html_safe
from hub.notices import ACCENT, signed_link
from hub.subscribers.service import Subscriber, Subscribers
from hub.timeutil import french_datetime, to_utc_text
from newsletters.render import compile_mjml, render_mjml, render_text

log = logging.getLogger("hub.events.mail")

CATEGORY = "evenements"
REMINDER = "reminder"  # staff's "send now"; scheduled ones are "reminder:<minutes>"
INVITING = ("confirmed", "promoted")  # kinds whose mail always carries a REQUEST
WITHDRAWING = ("cancelled", "ineligible", "event_cancelled")  # kinds whose mail may carry a CANCEL
# Kinds whose mail gives an online event's video link (a confirmed seat is checked too).
WITH_VIDEO = ("confirmed", "promoted", "updated", REMINDER)

TEMPLATES = {
    "confirmed": "event_confirmed",
    "waitlisted": "event_waitlisted",
    "offered": "event_offered",
    "promoted": "event_promoted",
    "offer_expired": "event_offer_expired",
    "cancelled": "event_registration_cancelled",
    "updated": "event_updated",
    "event_cancelled": "event_cancelled",
    "ineligible": "event_registration_ineligible",
    REMINDER: "event_reminder",
}

SUBJECTS = {
    "confirmed": "Inscription confirmée : {title}",
    "waitlisted": "Liste d'attente : {title}",
    "offered": "Une place vous est réservée : {title}",
    "promoted": "Une place s'est libérée, vous êtes inscrit(e) : {title}",
    "offer_expired": "Place non acceptée à temps : {title}",
    "cancelled": "Inscription annulée : {title}",
    "updated": "Changement d'horaire ou de lieu : {title}",
    "event_cancelled": "Événement annulé : {title}",
    "ineligible": "Inscription annulée : {title}",
    REMINDER: "Rappel : {title}, {soon}",
}


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # not taken by the backend (or not renderable): the error is kept
    skipped: int = 0  # no point any more (see `_skip_reason`): the reason is kept
    in_doubt: int = 0  # the backend may have taken it, its answer was lost: never resent

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.skipped + self.in_doubt


@dataclass(frozen=True)
class Pending:
    """A message taken for sending, with what it is about as it stood then."""

    id: int
    kind: str  # as queued: a key of TEMPLATES, or "reminder:<minutes>"
    event: Event
    registration: Registration
    person: Subscriber
    calendar_holds_it: bool  # the last invitation or withdrawal that left was an invitation


async def deliver_pending(
    db: Database,
    config: Config,
    messenger: Messenger,
    *,
    limit: int | None = None,
    stopping: asyncio.Event | None = None,
) -> DeliveryReport:
    """Send the queued messages, oldest first (at most `limit`); one failing stops no other.
    When `stopping` is set, the message in hand is finished and no other is taken."""
    events = Events(db, config)
    people = Subscribers(db, config)
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


def base_kind(kind: str) -> str:
    return REMINDER if kind.startswith(REMINDER_PREFIX) else kind


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


# --- the e-mail ---------------------------------------------------------------------------


def compose(config: Config, message: Pending, now: datetime) -> Content:
    """The e-mail of one message, with its invitation or withdrawal when it has one."""
    event, registration, person = message.event, message.registration, message.person
    tz = config.tz
    kind = base_kind(message.kind)
    method = _calendar_method(message)
    confirmed = registration.status == "confirmed"
    show_video = event.online and kind in WITH_VIDEO and confirmed
    soon = soon_text(event.starts_at, now, tz)
    subject = SUBJECTS[kind].format(title=event.title, soon=soon)
    shared = {
        "title": subject,
        "preheader": "",
        "accent": ACCENT,
        "calendar": method or "",
        "confirmed": confirmed,
        "soon": soon,
        "event": {
            "title": event.title,
            "when": when(event, tz),
            "online": event.online,
            "venue": event.venue,
            "address": event.address,
            "video_url": event.video_url if show_video else "",
            "video_link": show_video and event.video_url.startswith(("https://", "http://")),
            "video_to_come": show_video and not event.video_url,
            "waitlist": event.waitlist,
        },
    }
    manage_url = signed_link(config, "registrations", person)
    personal = {"manage_url": manage_url}
    if kind == "waitlisted":
        personal["position"] = str(registration.position or "")
    if kind == "offered":
        assert registration.offer_expires_at is not None
        personal["deadline"] = french_datetime(registration.offer_expires_at, tz, weekday=True)
        personal["accept_url"] = signed_link(config, "offer", person, str(registration.id))
    template = TEMPLATES[kind]
    calendar = None
    if method:
        ics = invitation(
            config,
            event,
            attendee_email=person.email,
            attendee_name=f"{person.first_name} {person.last_name}",
            method=method,
            manage_url=manage_url,
        )
        calendar = CalendarPart(method, ics)
    return Content(
        subject=subject,
        html=_html(config, template, shared, personal),
        text=render_text(f"text/{template}.txt.j2", shared | personal, config),
        category=CATEGORY,
        list_unsubscribe=False,
        calendar=calendar,
    )


def _calendar_method(message: Pending) -> str | None:
    """REQUEST to whoever has a confirmed seat (a new one, or a change to it); CANCEL to whoever
    was sent the invitation last, when the registration or the event is cancelled."""
    kind = message.kind
    if kind in INVITING or (kind == "updated" and message.registration.status == "confirmed"):
        return "REQUEST"
    if kind in WITHDRAWING and message.calendar_holds_it:
        return "CANCEL"
    return None


# The MJML → HTML step costs ~15 ms, the rest of a message well under 1: it is done once per
# template and state of the event, with markers where each person's values go (links, place
# in line, deadline), filled afterwards. The markers carry a random part, so no event text can
# pose as one; they are letters, digits and dashes, which MJML leaves as they are.
_MARK = f"evslot{secrets.token_hex(6)}"
_COMPILED: dict[tuple[Any, ...], str] = {}
_COMPILED_MAX = 256


def _html(config: Config, template: str, shared: dict[str, Any], personal: dict[str, str]) -> str:
    key = (
        template,
        config.federation,
        config.timezone,
        json.dumps(shared, sort_keys=True),
        tuple(sorted(personal)),
    )
    html = _COMPILED.get(key)
    if html is None:
        marks = {name: Markup(f"{_MARK}-{name}-") for name in personal}
        html = compile_mjml(render_mjml(f"mjml/{template}.mjml.j2", shared | marks, config))
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = html
    for name, value in personal.items():
        html = html.replace(f"{_MARK}-{name}-", html_safe(value))
    return html
