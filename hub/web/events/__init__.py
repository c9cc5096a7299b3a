"""The events' pages: the agenda, each event with its registration form, "mes inscriptions"
(see and cancel one's registrations), the acceptance of a seat offered from the waiting list.

Handlers stay thin: the `Events` service registers, cancels and accepts (eligibility, seats and
the e-mails they owe are its business); these pages show and ask.

Members-only events are shown only to a visitor who comes through a signed link: the
"registrations" token of the person's "mes inscriptions" page (in every event e-mail). That page
links to the agenda as `/evenements/?cle=<token>`, and the agenda, each event page and its form
carry `?cle=` on, so the visitor is that person throughout: their stored role and membership
decide what they may see and join, their address is the one registered (never typed, never
self-declared). Without a key, only public events are listed and their forms are open to anyone;
any other event answers as an unknown one (the same 404), and events are found by slug only,
never by their counted id.

The anonymous form tells nothing about the address typed (`Events.request`): new, registered,
waiting, cancelled or blocked, the page is the same ("demande reçue"), and what became of the
request goes by e-mail, to the address.

A signed link that is forged, altered, of another purpose or for a person who no longer exists
gets the same French 404 page, and changes nothing. No page ever shows an event's video link:
only confirmed registrants get it, by e-mail.
"""

from __future__ import annotations

from aiohttp import web

from hub.web.events import agenda, personal, registration
from hub.web.events.shared import EventView, Visitor

__all__ = ["EventView", "Visitor", "routes"]

# Every page of the package; the agenda's and the personal pages' paths are matched before an
# event's `/evenements/{slug}` would be tried (their paths differ in any case).
routes: list[web.AbstractRouteDef] = [*agenda.routes, *personal.routes, *registration.routes]
