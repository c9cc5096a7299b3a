"""The calendar files of events, parsed back with `icalendar`: each invitation, its update, its
withdrawal, and the public feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from icalendar import Event as VEvent

from hub.config import Config
from hub.events.ics import calendar_feed, invitation, page_url
from hub.events.model import Event, EventChanges
from hub.events.service import Events
from tests.events.conftest import MakeEvent

VIDEO = "https://visio.fcpts.org/reunion-flash-segur"
MARIE = "marie.durand@cpts-exemple.fr"


def parsed(ics: str | bytes) -> Calendar:
    calendar = Calendar.from_ical(ics)
    assert isinstance(calendar, Calendar)
    return calendar


def only_event(calendar: Calendar) -> VEvent:
    (entry,) = calendar.events
    return entry


def request(config: Config, event: Event, method: str = "REQUEST") -> str:
    return invitation(
        config,
        event,
        attendee_email=MARIE,
        attendee_name="Marie Durand",
        method=method,
        manage_url="http://127.0.0.1:8080/evenements/mes-inscriptions/TOKEN",
    )


async def test_an_invitation_is_a_request_with_its_organizer_attendee_and_time_zone(
    config: Config, make_event: MakeEvent
) -> None:
    # 11 June: summer time, Paris is UTC+2; the invitation must say 9h there.
    start = datetime(2026, 6, 11, 7, 0, tzinfo=UTC)
    event = await make_event(
        starts_at=start, ends_at=start + timedelta(hours=8, minutes=30), video_url=VIDEO
    )
    ics = request(config, event)
    assert "\r\n" in ics and "METHOD:REQUEST\r\n" in ics
    assert "DTSTART;TZID=Europe/Paris:20260611T090000" in ics
    assert "DTEND;TZID=Europe/Paris:20260611T173000" in ics

    calendar = parsed(ics)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"].startswith("-//FCPTS//")
    assert calendar["METHOD"] == "REQUEST"
    (timezone,) = calendar.timezones
    assert timezone["TZID"] == "Europe/Paris"
    entry = only_event(calendar)
    assert entry["UID"] == event.ics_uid
    assert entry["SEQUENCE"] == 0
    assert entry["STATUS"] == "CONFIRMED"
    assert entry["SUMMARY"] == "Réunion flash : le Ségur du numérique"
    stamp = entry.decoded("DTSTAMP")
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)
    assert entry["DTSTART"].params["TZID"] == "Europe/Paris"
    assert entry.decoded("DTSTART") == start
    assert entry.decoded("DTEND") == event.ends_at
    # The VTIMEZONE itself (not only the TZID name) gives the right offset.
    local = entry.decoded("DTSTART").replace(tzinfo=None)
    assert local.replace(tzinfo=timezone.to_tz()) == start

    organizer = entry["ORGANIZER"]
    assert str(organizer) == "mailto:contact@fcpts.org"
    assert organizer.params["CN"] == "Fédération nationale des CPTS"
    attendee = entry["ATTENDEE"]
    assert str(attendee) == f"mailto:{MARIE}"
    assert dict(attendee.params) == {
        "CN": "Marie Durand",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "ACCEPTED",
        "RSVP": "FALSE",
    }
    # Online, and for a confirmed registrant: the video link, where calendars show it.
    assert entry["LOCATION"] == VIDEO and entry["URL"] == VIDEO
    description = str(entry["DESCRIPTION"])
    assert f"Lien de connexion : {VIDEO}" in description
    assert "Vos inscriptions : http://127.0.0.1:8080/evenements/mes-inscriptions/TOKEN" in (
        description
    )


async def test_a_winter_event_in_person_gives_its_place(
    config: Config, make_event: MakeEvent
) -> None:
    start = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)  # 9h in Paris, winter time
    event = await make_event(
        kind="journees-nationales",
        starts_at=start,
        ends_at=start + timedelta(days=1, hours=8),
        venue="Palais 2 l'Atlantique",
        address="Boulevard du Lac, 33300 Bordeaux",
    )
    ics = request(config, event)
    assert "DTSTART;TZID=Europe/Paris:20261104T090000" in ics
    entry = only_event(parsed(ics))
    assert entry["LOCATION"] == "Palais 2 l'Atlantique, Boulevard du Lac, 33300 Bordeaux"
    assert "URL" not in entry
    local = entry.decoded("DTSTART").replace(tzinfo=None)
    assert local.replace(tzinfo=parsed(ics).timezones[0].to_tz()) == start


async def test_an_update_keeps_the_uid_with_a_higher_sequence(
    config: Config, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(video_url=VIDEO)
    first = only_event(parsed(request(config, event)))
    moved = (
        await events.edit(event.id, EventChanges(starts_at=event.starts_at + timedelta(hours=1)))
    ).event
    second = only_event(parsed(request(config, moved)))
    assert second["UID"] == first["UID"] == event.ics_uid
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)
    assert second.decoded("DTSTART") == event.starts_at + timedelta(hours=1)
    # A change that is neither time nor place leaves the invitation as it was.
    retitled = (await events.edit(event.id, EventChanges(title="Réunion flash : le Ségur"))).event
    assert only_event(parsed(request(config, retitled)))["SEQUENCE"] == 1


async def test_the_cancellation_of_the_event_says_cancelled(
    config: Config, events: Events, make_event: MakeEvent
) -> None:
    event = (await events.cancel((await make_event(video_url=VIDEO)).id)).event
    ics = request(config, event, "CANCEL")
    calendar = parsed(ics)
    assert calendar["METHOD"] == "CANCEL"
    entry = only_event(calendar)
    assert entry["UID"] == event.ics_uid
    assert entry["STATUS"] == "CANCELLED"
    assert str(entry["ATTENDEE"]) == f"mailto:{MARIE}"
    assert VIDEO not in ics
    assert entry["LOCATION"] == "En ligne"


async def test_one_persons_cancellation_uninvites_them_without_cancelling_the_event(
    config: Config, make_event: MakeEvent
) -> None:
    event = await make_event(video_url=VIDEO)
    ics = request(config, event, "CANCEL")
    entry = only_event(parsed(ics))
    # RFC 5546 §3.2.5: STATUS only when the whole event is cancelled; the CANCEL names the
    # attendee it removes.
    assert "STATUS" not in entry
    assert str(entry["ATTENDEE"]) == f"mailto:{MARIE}"
    assert VIDEO not in ics


async def test_an_attendee_without_a_name_has_no_cn(config: Config, make_event: MakeEvent) -> None:
    event = await make_event()
    ics = invitation(config, event, attendee_email=MARIE, attendee_name=" ", method="REQUEST")
    attendee = only_event(parsed(ics))["ATTENDEE"]
    assert "CN" not in attendee.params
    # Online without a video link yet: no empty link anywhere.
    entry = only_event(parsed(ics))
    assert entry["LOCATION"] == "En ligne" and "URL" not in entry


async def test_the_feed_publishes_public_events_without_attendees_or_video_links(
    config: Config, events: Events, make_event: MakeEvent
) -> None:
    public = await make_event(audience="public", video_url=VIDEO, in_days=3)
    national = await make_event(
        kind="journees-nationales",
        venue="Palais 2 l'Atlantique",
        address="Bordeaux",
        in_days=400,  # another year: the time zone must cover both
    )
    members = await make_event(audience="members", video_url=VIDEO)
    draft = await make_event(audience="public", publish=False)
    cancelled = (await events.cancel((await make_event(audience="public")).id)).event

    feed = calendar_feed(config, [public, national, members, draft, cancelled])
    assert isinstance(feed, bytes)
    assert VIDEO.encode() not in feed and b"ATTENDEE" not in feed
    calendar = parsed(feed)
    assert calendar["METHOD"] == "PUBLISH"
    assert "Fédération nationale des CPTS" in calendar["X-WR-CALNAME"]
    entries = {entry["UID"]: entry for entry in calendar.events}
    assert set(entries) == {public.ics_uid, national.ics_uid}
    online = entries[public.ics_uid]
    assert online["LOCATION"] == "En ligne"
    assert online["URL"] == page_url(config, public)
    assert online["URL"] == f"http://127.0.0.1:8080/evenements/{public.slug}"
    assert str(online["ORGANIZER"]) == "mailto:contact@fcpts.org"
    assert entries[national.ics_uid]["LOCATION"] == "Palais 2 l'Atlantique, Bordeaux"
    (timezone,) = calendar.timezones
    for event in (public, national):
        local = entries[event.ics_uid].decoded("DTSTART").replace(tzinfo=None)
        assert local.replace(tzinfo=timezone.to_tz()) == event.starts_at


def test_an_empty_feed_is_still_a_calendar(config: Config) -> None:
    calendar = parsed(calendar_feed(config, []))
    assert calendar["METHOD"] == "PUBLISH" and calendar.events == []
