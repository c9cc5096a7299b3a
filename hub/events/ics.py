"""Calendar files (RFC 5545) for events: the invitation each registrant receives by e-mail
(iTIP, RFC 5546: REQUEST, then CANCEL) and the public feed of `/evenements.ics` (PUBLISH).

Built with `icalendar`, never by hand. An event keeps one UID for ever; its SEQUENCE grows with
each change of time or place (the service stores it), so a calendar replaces the entry it holds
instead of adding a second one. Times are written in the hub's zone (TZID=Europe/Paris) with its
VTIMEZONE, so clients in any zone show the same instant; DTSTAMP is in UTC.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime

from icalendar import Calendar, Timezone, vCalAddress
from icalendar import Event as VEvent

from hub.config import Config
from hub.events.model import Event, page_url

METHODS = ("REQUEST", "CANCEL")
ONLINE = "En ligne"


def invitation(
    config: Config,
    event: Event,
    *,
    attendee_email: str,
    attendee_name: str = "",
    method: str,
    manage_url: str = "",
) -> str:
    """The `.ics` of one registrant's invitation (REQUEST) or of its withdrawal (CANCEL).

    A REQUEST goes only to people with a confirmed seat, so an online event's video link is in
    it (LOCATION, URL and DESCRIPTION). A CANCEL says STATUS:CANCELLED only when the whole event
    is cancelled: for one person's registration, RFC 5546 §3.2.5 has the organizer "uninvite"
    that attendee (the CANCEL names them alone) and forbids STATUS, since the event still
    takes place. `manage_url` ("mes inscriptions") goes in the description when given.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r}: one of {METHODS}")
    calendar = _calendar(config, method)
    entry = _entry(config, event)
    with_video = method == "REQUEST" and event.online and bool(event.video_url)
    if with_video:
        entry.add("location", event.video_url)
        entry.add("url", event.video_url)
    else:
        entry.add("location", _place(event))
    lines = [event.description.strip()]
    if with_video:
        lines.append(f"Lien de connexion : {event.video_url}")
    if manage_url:
        lines.append(f"Vos inscriptions : {manage_url}")
    entry.add("description", "\n\n".join(line for line in lines if line))
    attendee = vCalAddress(f"mailto:{attendee_email}")
    if attendee_name.strip():
        attendee.params["CN"] = " ".join(attendee_name.split())
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "ACCEPTED"
    attendee.params["RSVP"] = "FALSE"
    entry.add("attendee", attendee)
    if method == "REQUEST":
        entry.add("status", "CONFIRMED")
    elif event.status == "cancelled":
        entry.add("status", "CANCELLED")
    calendar.add_component(entry)
    _add_timezone(calendar, config, [event])
    ical: bytes = calendar.to_ical()  # icalendar's own annotations leave it untyped
    return ical.decode("utf-8")


def calendar_feed(config: Config, events: Sequence[Event]) -> bytes:
    """The public calendar to subscribe to: published public events only, no attendee, no video
    link (an online event says "En ligne"; its page, linked, is where one registers)."""
    shown = [e for e in events if e.status == "published" and e.audience == "public"]
    calendar = _calendar(config, "PUBLISH")
    name = f"Événements — {config.federation.name}"
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # what Apple, Google and Outlook read
    calendar.add("x-wr-timezone", config.timezone)
    for event in shown:
        entry = _entry(config, event)
        page = page_url(config, event)
        entry.add("location", _place(event))
        entry.add("url", page)
        entry.add("description", "\n\n".join(filter(None, [event.description.strip(), page])))
        entry.add("status", "CONFIRMED")
        entry.add("created", event.created_at)
        entry.add("last-modified", event.updated_at)
        calendar.add_component(entry)
    _add_timezone(calendar, config, shown)
    ical: bytes = calendar.to_ical()
    return ical


def organizer(config: Config) -> vCalAddress:
    """The federation, at the address people write to (a reply to an invitation reaches it)."""
    address = vCalAddress(f"mailto:{config.federation.contact_email}")
    address.params["CN"] = config.federation.name
    return address


def _calendar(config: Config, method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//{config.federation.short_name}//Hub événements//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _entry(config: Config, event: Event) -> VEvent:
    """What every VEVENT of an event shares, invitation or feed."""
    tz = config.tz
    entry = VEvent()
    entry.add("uid", event.ics_uid)
    entry.add("sequence", event.ics_sequence)
    entry.add("dtstamp", datetime.now(UTC))
    entry.add("dtstart", event.starts_at.astimezone(tz))
    entry.add("dtend", event.ends_at.astimezone(tz))
    entry.add("summary", event.title)
    entry.add("organizer", organizer(config))
    return entry


def _place(event: Event) -> str:
    if event.online:
        return ONLINE
    return ", ".join(part.strip() for part in (event.venue, event.address) if part.strip())


def _add_timezone(calendar: Calendar, config: Config, events: Sequence[Event]) -> None:
    """The VTIMEZONE the events' TZID refers to, covering the years they take place in."""
    if not events:
        return
    first = min(e.starts_at.astimezone(config.tz).year for e in events)
    last = max(e.ends_at.astimezone(config.tz).year for e in events)
    calendar.subcomponents.insert(0, _timezone(config.timezone, first, last))


@functools.lru_cache(maxsize=32)
def _timezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """Generated from zoneinfo's rules, which takes a few milliseconds: kept once made (the
    component is only ever serialised, never changed)."""
    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
