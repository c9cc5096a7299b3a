"""The French words for the codes stored about events, shared by the staff's commands."""

from __future__ import annotations

EVENT_STATUS_LABELS = {"draft": "brouillon", "published": "publié", "cancelled": "annulé"}
REGISTRATION_LABELS = {
    "confirmed": "confirmé",
    "offered": "place proposée",
    "waitlisted": "liste d'attente",
    "cancelled": "annulé",
}
MODE_LABELS = {"online": "en ligne", "in-person": "en présentiel"}
