"""The e-mails of events: subject, body and invitation of each kind of message.

The e-mails are French, rendered by the newsletters' machinery on `templates/mjml/base.mjml.j2`
(as `hub.notices` does), and carry the person's "mes inscriptions" link. Invitations carry
their `.ics` (`CalendarPart`): REQUEST with a seat, CANCEL when a calendar holds the event.
`hub.events.mailer` takes the messages from their queue and sends what this module composes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from hub.config import Config
from hub.events.model import REMINDER_PREFIX, Event, Registration
from hub.events.wording import offer_deadline, when
from hub.events.wording import soon as soon_text
from hub.mail import CalendarPart, Content
from hub.mail.message import html_safe
from hub.notices import ACCENT, signed_link
from hub.subscribers.service import Subscriber

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
class Pending:
    """A message taken for sending, with what it is about as it stood then."""

    id: int
    kind: str  # as queued: a key of TEMPLATES, or "reminder:<minutes>"
    event: Event
    registration: Registration
    person: Subscriber
    calendar_holds_it: bool  # the last invitation or withdrawal that left was an invitation


def base_kind(kind: str) -> str:
    return REMINDER if kind.startswith(REMINDER_PREFIX) else kind


def compose(config: Config, message: Pending, now: datetime) -> Content:
    """The e-mail of one message, with its invitation or withdrawal when it has one."""
    # Imported when an e-mail is written: commands that write none skip the templates.
    from newsletters.templating import render_text

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
        personal["deadline"] = offer_deadline(registration, tz)
        personal["accept_url"] = signed_link(config, "offer", person, str(registration.id))
    template = TEMPLATES[kind]
    calendar = None
    if method:
        from hub.events.ics import invitation  # icalendar: only for mail that carries one

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
    # Imported when an e-mail is written: commands that write none skip the templates.
    from newsletters.templating import compile_mjml, render_mjml

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
