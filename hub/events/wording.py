"""The French every channel says about events: labels of the stored codes, dates, seats.

One place, so that the web page, the staff's command, the e-mail and (next) the Discord bots
say an event's time, its seats or a registration's state in the same words. Channel-only
sentences (a page's lead, a command's hint) stay in the channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.config import Config
from hub.events.audience import LABELS as AUDIENCE_LABELS
from hub.events.model import Event, Registration, seats_held
from hub.timeutil import french_date, french_datetime, french_time
from hub.wording import french_number as number

__all__ = [
    "AUDIENCE_LABELS",
    "EVENT_STATUS_LABELS",
    "MODE_LABELS",
    "REGISTRATION_HEADLINES",
    "REGISTRATION_LABELS",
    "capitalised",
    "kind_name",
    "number",
    "offer_deadline",
    "registration_state",
    "seats_left",
    "seats_taken",
    "soon",
    "waitlist_rule",
    "when",
]

EVENT_STATUS_LABELS = {"draft": "brouillon", "published": "publié", "cancelled": "annulé"}
REGISTRATION_LABELS = {
    "confirmed": "confirmé",
    "offered": "place proposée",
    "waitlisted": "liste d'attente",
    "cancelled": "annulé",
}
# A registration's state as the person reads it ("mes inscriptions").
REGISTRATION_HEADLINES = {
    "confirmed": "Inscription confirmée",
    "offered": "Place proposée, à accepter",
    "waitlisted": "Sur liste d'attente",
    "cancelled": "Inscription annulée",
}
MODE_LABELS = {"online": "en ligne", "in-person": "en présentiel"}


def capitalised(text: str) -> str:
    """The first letter up, the rest as it is ("réservé aux adhérents" → "Réservé aux…")."""
    return text[:1].upper() + text[1:]


def kind_name(config: Config, kind: str) -> str | None:
    """The name of an event's kind ("Réunion flash"), None for a kind no longer configured."""
    found = config.event_kinds.get(kind)
    return found.name if found else None


def when(event: Event, tz: Any) -> str:
    """'mercredi 4 novembre 2026, de 9h à 17h30', or from one day to another."""
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    day = french_date(start.date(), weekday=True)
    if start.date() == end.date():
        return f"{day}, de {french_time(start)} à {french_time(end)}"
    return (
        f"du {day} à {french_time(start)} "
        f"au {french_date(end.date(), weekday=True)} à {french_time(end)}"
    )


def soon(start: datetime, now: datetime, tz: Any) -> str:
    """When the event starts, as a reminder says it: 'aujourd'hui à 9h', 'demain à 9h', or
    'le mercredi 4 novembre 2026 à 9h'."""
    local = start.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    if days == 0:
        return f"aujourd'hui à {french_time(local)}"
    if days == 1:
        return f"demain à {french_time(local)}"
    return f"le {french_datetime(start, tz, weekday=True)}"


def seats_taken(event: Event, counts: Mapping[str, int]) -> str:
    """The seats held against the capacity, for staff: "1/1", or "3 (sans limite)"."""
    taken = seats_held(counts)
    if event.capacity is None:
        return f"{number(taken)} (sans limite)"
    return f"{number(taken)}/{number(event.capacity)}"


def seats_left(event: Event, counts: Mapping[str, int]) -> str | None:
    """The seats left, for those who may register: "2 places restantes", "Complet — liste
    d'attente", "Complet"; None when the event has no limit."""
    left = event.seats_left(counts)
    if left is None:
        return None
    if left > 0:
        return f"{left} place restante" if left == 1 else f"{left} places restantes"
    return "Complet — liste d'attente" if event.waitlist != "none" else "Complet"


def waitlist_rule(event: Event) -> str:
    """What happens to a freed seat."""
    if event.waitlist == "none":
        return "pas de liste d'attente (complet = refusé)"
    if event.waitlist == "offer":
        return f"une place libérée est proposée au suivant pendant {event.offer_hours} h"
    return "une place libérée est donnée au suivant, automatiquement"


def offer_deadline(registration: Registration, tz: Any) -> str:
    """Until when an offered seat may be taken, as the person reads it in a page or an
    e-mail: « mardi 3 mars 2026 à 12h30 »; "" for a registration with no offer."""
    expiry = registration.offer_expires_at
    return french_datetime(expiry, tz, weekday=True) if expiry else ""


def registration_state(status: str, position: int | None, expires: datetime | None, tz: Any) -> str:
    """A registration's state in a few words: "confirmé", "liste d'attente (position 2)",
    "place proposée jusqu'au …"."""
    if status == "waitlisted":
        return f"liste d'attente (position {position})"
    if status == "offered":
        return f"place proposée jusqu'au {french_datetime(expires, tz) if expires else '—'}"
    return REGISTRATION_LABELS[status]
