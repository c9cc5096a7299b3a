"""The events of `hub demo`: the federation's 2026 meetings from its documents, and upcoming
ones (dated from the day the demo runs) that demo people register for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hub.config import Config
from hub.events.audience import Profile
from hub.events.audience import refusal as refusal_of
from hub.events.model import Refused
from hub.events.service import Events, NewEvent
from hub.subscribers.service import Person


@dataclass(frozen=True)
class DemoEvents:
    created: list[str]  # titles
    registrations: Counter[str]  # by outcome: confirmed, waitlisted, refused…
    refusal: str  # one refusal, to show what an ineligible person is told


def _at(config: Config, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=config.tz)


def _events(config: Config, today: date) -> list[NewEvent]:
    """The 2026 meetings named in the federation's documents (seeds 000 and 001), then upcoming
    ones. The seeds' events keep their real dates, even when already past."""
    webinaire = today + timedelta(days=10)
    flash = today + timedelta(days=7)
    elus = today + timedelta(days=14)
    seminaire = today + timedelta(days=45)
    return [
        NewEvent(
            title="Journées Nationales des CPTS 2026",
            kind="journees-nationales",
            starts_at=_at(config, date(2026, 11, 4), 9),
            ends_at=_at(config, date(2026, 11, 5), 17, 30),
            venue="Palais 2 l'Atlantique",
            address="Bordeaux",
            publish=True,
        ),
        NewEvent(
            title="Colloque inter-CPTS Nouvelle-Aquitaine",
            kind="tour-de-france",
            starts_at=_at(config, date(2026, 6, 11), 9),
            ends_at=_at(config, date(2026, 6, 12), 17),
            venue="Centre des congrès de la Haute Saintonge",
            address="Jonzac (17)",
            audience="public",
            publish=True,
        ),
        NewEvent(
            title="Réunion flash : Mon espace santé, où en sont les CPTS ?",
            kind="reunion-flash",
            starts_at=_at(config, flash, 12, 30),
            ends_at=_at(config, flash, 13, 30),
            video_url="https://visio.example.org/fcpts-flash",
            publish=True,
        ),
        NewEvent(
            title="Webinaire des partenaires : les Observatoires régionaux de santé",
            kind="webinaire-partenaires",
            starts_at=_at(config, webinaire, 11),
            ends_at=_at(config, webinaire, 12),
            audience="public",
            video_url="https://visio.example.org/fcpts-partenaires",
            publish=True,
        ),
        NewEvent(
            title="Rendez-vous du collectif des élus : le PLFSS et les CPTS",
            kind="rdv-elus",
            starts_at=_at(config, elus, 18, 30),
            ends_at=_at(config, elus, 20),
            video_url="https://visio.example.org/fcpts-elus",
            publish=True,
        ),
        NewEvent(
            title="Séminaire des coordinateurs et directeurs de CPTS",
            kind="seminaire-coordinateurs",
            starts_at=_at(config, seminaire, 9, 30),
            ends_at=_at(config, seminaire, 17),
            venue="Paris (le lieu est précisé aux inscrits)",
            capacity=3,  # small, so that the demo shows a waiting list
            publish=True,
        ),
    ]


async def create_demo_events(service: Events, people: Sequence[Person], today: date) -> DemoEvents:
    """Create the demo events and register the demo people for the upcoming ones they may
    attend, and one person who may not, to show the refusal."""
    config = service.config
    created = [await service.create(new) for new in _events(config, today)]
    upcoming = [event for event in created if event.starts_at.date() > today]
    outcomes: Counter[str] = Counter()
    refusal = ""
    for event in upcoming:
        eligible = [
            p for p in people if refusal_of(event.audience, Profile(p.role, p.member)) is None
        ]
        outsider = next((p for p in people if p not in eligible), None)
        for person in [*eligible, *([outsider] if outsider else [])]:
            answers = {
                q.key: person.organisation or "CPTS de démonstration"
                for q in event.questions
                if q.required
            }
            try:
                registered = await service.register(event.id, person, source="cli", answers=answers)
            except Refused as exc:
                outcomes["refused"] += 1
                refusal = refusal or f"{person.email} → « {event.title} » : {exc}"
                continue
            outcomes[registered.registration.status] += 1
    return DemoEvents([event.title for event in created], outcomes, refusal)
