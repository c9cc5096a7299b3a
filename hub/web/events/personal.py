"""A person's own pages, reached by their signed links: "mes inscriptions" (see and cancel
one's registrations) and a seat offered from the waiting list (see and accept it).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from aiohttp import web

from hub import notices
from hub.errors import UserError
from hub.events.model import Event, Refused, Registration
from hub.events.service import Events
from hub.events.wording import REGISTRATION_HEADLINES, offer_deadline
from hub.ids import parse_id
from hub.subscribers.service import Subscriber
from hub.web import SERVICES_KEY
from hub.web.events.shared import (
    EventView,
    Visitor,
    event_view,
    events_service,
    invalid_link,
    registrations_path,
    signed_person,
)
from hub.web.pages import render_page

log = logging.getLogger("hub.web.events")

routes = web.RouteTableDef()


async def _registrations_page(
    request: web.Request,
    person: Subscriber,
    *,
    saved: str = "",
    problem: str = "",
    status: int = 200,
) -> web.Response:
    config = request.app[SERVICES_KEY].config
    events = events_service(request)
    visitor = Visitor(person, request.match_info["token"])
    now = datetime.now(UTC)
    items = []
    for event, registration in await events.registrations_of(person.id):
        current = event.can_cancel(now)
        offer = (
            notices.signed_path(config, "offer", person, str(registration.id))
            if registration.status == "offered" and current
            else None
        )
        deadline = offer_deadline(registration, config.tz)
        items.append(
            {
                "view": await event_view(events, event, visitor),
                "registration": registration,
                "status": REGISTRATION_HEADLINES[registration.status],
                "state": (
                    "Événement annulé"
                    if event.status == "cancelled"
                    else ("Événement terminé" if event.ends_at <= now else "")
                ),
                "cancellable": current and registration.status != "cancelled",
                "offer_url": offer,
                "deadline": deadline,
            }
        )
    return render_page(
        request,
        "event_registrations.html",
        status=status,
        person=person,
        items=items,
        saved=saved,
        problem=problem,
        action=request.path,
        agenda_url=f"/evenements/{visitor.query}",
    )


@routes.get("/evenements/mes-inscriptions/{token}")
async def my_registrations(request: web.Request) -> web.Response:
    found = await signed_person(request, request.match_info["token"], "registrations")
    if found is None:
        return invalid_link(request)
    return await _registrations_page(request, found[0])


@routes.post("/evenements/mes-inscriptions/{token}")
async def cancel_registration(request: web.Request) -> web.Response:
    """Cancel one of the person's registrations; its seat goes to the waiting list (the
    service does it) and the person is told by e-mail."""
    found = await signed_person(request, request.match_info["token"], "registrations")
    if found is None:
        return invalid_link(request)
    person = found[0]
    form = await request.post()
    events = events_service(request)
    chosen = str(form.get("inscription", ""))
    now = datetime.now(UTC)
    mine = {
        str(registration.id): (event, registration)
        for event, registration in await events.registrations_of(person.id)
    }
    if chosen not in mine:
        return await _registrations_page(
            request, person, problem="Cette inscription n'est pas (ou plus) la vôtre.", status=404
        )
    event, registration = mine[chosen]
    if not event.can_cancel(now):
        return await _registrations_page(
            request,
            person,
            problem=f"L'inscription à « {event.title} » ne peut plus être annulée.",
            status=409,
        )
    if registration.status != "cancelled":
        await events.cancel_registration(registration.id)
        log.info("registration cancelled", extra={"event": event.slug, "source": "web"})
    return await _registrations_page(
        request, person, saved=f"Votre inscription à « {event.title} » est annulée."
    )


async def _offer(request: web.Request) -> tuple[Events, Event, Registration, Subscriber] | None:
    """The offer a signed link names, if it is the link's person's own."""
    found = await signed_person(request, request.match_info["token"], "offer")
    registration_id = parse_id(found[1]) if found is not None else None
    if found is None or registration_id is None:
        return None
    person = found[0]
    events = events_service(request)
    try:
        registration = await events.registration(registration_id)
    except UserError:
        return None
    if registration.subscriber_id != person.id:
        return None
    return events, await events.get(registration.event_id), registration, person


def _offer_page(
    request: web.Request,
    view: EventView,
    registration: Registration,
    person: Subscriber,
    *,
    problem: str = "",
    status: int = 200,
) -> web.Response:
    config = request.app[SERVICES_KEY].config
    now = datetime.now(UTC)
    event = view.event
    open_offer = registration.offer_open(event, now)
    return render_page(
        request,
        "event_offer.html",
        status=status,
        view=replace(view, seats=None),  # the seat is theirs: "complet" would only confuse
        registration=registration,
        open_offer=open_offer and not problem,
        deadline=offer_deadline(registration, config.tz),
        cancelled=event.status == "cancelled",
        problem=problem,
        action=request.path,
        registrations_url=registrations_path(config, person),
    )


@routes.get("/evenements/offre/{token}")
async def offer_page(request: web.Request) -> web.Response:
    """Shows the offer and its button, and changes nothing: mail scanners open every link."""
    found = await _offer(request)
    if found is None:
        return invalid_link(request)
    events, event, registration, person = found
    view = await event_view(events, event, Visitor(person))
    return _offer_page(request, view, registration, person)


@routes.post("/evenements/offre/{token}")
async def accept_offer(request: web.Request) -> web.Response:
    found = await _offer(request)
    if found is None:
        return invalid_link(request)
    events, event, registration, person = found
    visitor = Visitor(person)
    if event.status != "published":
        return _offer_page(request, await event_view(events, event, visitor), registration, person)
    try:
        registration = await events.accept_offer(registration.id)
    except Refused as exc:
        view = await event_view(events, event, visitor)
        return _offer_page(request, view, registration, person, problem=str(exc), status=410)
    log.info("offer accepted", extra={"event": event.slug})
    return _offer_page(request, await event_view(events, event, visitor), registration, person)
