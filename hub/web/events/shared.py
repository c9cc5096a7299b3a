"""What the events' pages share: who is browsing (`Visitor`, from a signed link's key), an
event as the pages show it (`EventView`), their notices and the refusal of a bad link.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from hub import notices
from hub.config import Config
from hub.events.audience import Profile, refusal
from hub.events.model import Event
from hub.events.service import Events
from hub.events.wording import (
    AUDIENCE_LABELS,
    MODE_LABELS,
    capitalised,
    kind_name,
    seats_left,
    when,
)
from hub.subscribers.service import Subscriber
from hub.tokens import InvalidToken
from hub.web import SERVICES_KEY
from hub.web.notice import invalid_link_page, notice_page

log = logging.getLogger("hub.web.events")


KEY_PARAM = "cle"  # ?cle=<"registrations" token>: the visitor is that person


@dataclass(frozen=True)
class Visitor:
    """Who is browsing: anyone, or the person of a signed link (whose token the links keep)."""

    person: Subscriber | None = None
    key: str = ""

    @property
    def query(self) -> str:
        return f"?{KEY_PARAM}={self.key}" if self.key else ""

    def refusal(self, event: Event) -> str | None:
        """Why this visitor may not register (None for a public event or an eligible person)."""
        if event.audience == "public":
            return None
        if self.person is None:
            return (
                f"Cet événement est {AUDIENCE_LABELS[event.audience]} : ouvrez-le depuis le lien "
                "« Mes inscriptions » d'un e-mail de la fédération."
            )
        return refusal(event.audience, Profile(self.person.role, self.person.member))


@dataclass(frozen=True)
class EventView:
    """An event as the pages show it: in French, in Paris time, never with its video link."""

    event: Event
    url: str
    kind: str
    when: str
    mode: str
    place: str
    audience: str
    seats: str | None  # None: no limit


async def event_view(events: Events, event: Event, visitor: Visitor) -> EventView:
    config = events.config
    if event.online:
        place = "En ligne : le lien de connexion est envoyé par e-mail aux inscrits confirmés."
    else:
        place = ", ".join(part for part in (event.venue, event.address) if part)
    return EventView(
        event=event,
        url=f"/evenements/{event.slug}{visitor.query}",
        kind=kind_name(config, event.kind) or "",
        when=capitalised(when(event, config.tz)),
        mode=capitalised(MODE_LABELS[event.mode]),
        place=place,
        audience=capitalised(AUDIENCE_LABELS[event.audience]),
        seats=seats_left(event, await events.counts(event)),
    )


def events_service(request: web.Request) -> Events:
    """The process's one events service (its cache of event ids by slug serves every request,
    and it wakes the mail worker itself after a change that queued e-mail)."""
    return request.app[SERVICES_KEY].events


def notice(
    request: web.Request,
    *,
    title: str,
    lead: str,
    status: int = 200,
    view: EventView | None = None,
    paragraphs: Sequence[str] = (),
    links: Sequence[tuple[str, str]] = (),
) -> web.Response:
    return notice_page(
        request,
        "event_layout.html",
        title=title,
        lead=lead,
        status=status,
        paragraphs=paragraphs,
        links=links,
        view=view,
    )


def unknown_event(request: web.Request, visitor: Visitor) -> web.Response:
    """The one answer for an event that does not exist, is a draft, or is not for a visitor
    without their signed link: which of these it is stays unknown."""
    config = request.app[SERVICES_KEY].config
    return notice(
        request,
        status=404,
        title="Événement introuvable",
        lead="Cet événement n'existe pas, ou il n'est pas ouvert à tous.",
        paragraphs=[
            "Les événements réservés (adhérents, collectifs) s'ouvrent depuis le lien « Mes "
            "inscriptions » de chaque e-mail de la fédération sur ses événements. Vous n'en "
            f"avez pas ? Écrivez-nous à {config.federation.contact_email} en indiquant votre "
            "CPTS et votre fonction.",
        ],
        links=[(f"/evenements/{visitor.query}", "Voir les événements ouverts")],
    )


def invalid_link(request: web.Request) -> web.Response:
    return invalid_link_page(
        request,
        "event_layout.html",
        advice="Ouvrez-le de nouveau, en entier, depuis l'e-mail de la fédération reçu.",
        way_back=("/evenements/", "Voir les événements ouverts à tous"),
    )


async def signed_person(
    request: web.Request, token: str, purpose: str
) -> tuple[Subscriber, str] | None:
    """The person a signed link names, and the token's list field; None if it names nobody."""
    people = request.app[SERVICES_KEY].subscribers
    try:
        person, found = await people.by_token(token, purpose)
    except InvalidToken as exc:
        log.info("signed link refused", extra={"purpose": purpose, "problem": str(exc)})
        return None
    return person, found.list


async def visitor_of(request: web.Request) -> Visitor | None:
    """The visitor of an agenda or event page; None when the key it carries is not valid."""
    key = request.query.get(KEY_PARAM, "")
    if not key:
        return Visitor()
    found = await signed_person(request, key, "registrations")
    return Visitor(found[0], key) if found else None


def registrations_path(config: Config, person: Subscriber) -> str:
    return notices.signed_path(config, "registrations", person)
