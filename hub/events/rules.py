"""The rules an event and a registration's answers keep, whatever the operation or channel."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.config import AUDIENCES, EVENT_MODES, WAITLIST_POLICIES, Question
from hub.errors import UserError
from hub.events.model import Event, InvalidEvent
from hub.timeutil import DateInputError, check_year, french_datetime


@dataclass(frozen=True)
class NewEvent:
    """What staff give to create an event; None takes the default of the event's kind."""

    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    description: str | None = None
    mode: str | None = None
    video_url: str = ""
    venue: str = ""
    address: str = ""
    audience: str | None = None
    capacity: int | None = None  # 0: no limit
    waitlist: str | None = None
    offer_hours: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    questions: list[Question] | None = None
    reminders_minutes: list[int] | None = None
    publish: bool = False
    slug: str | None = None


def utc_now() -> datetime:
    """Now, in UTC: what the service stores (as text) and compares."""
    return datetime.now(UTC)


def _choice_error(value: str, allowed: Sequence[str], what: str) -> str | None:
    if value not in allowed:
        return f"{what} inconnu(e) « {value} » ; valeurs possibles : {', '.join(allowed)}"
    return None


def check_choice(value: str, allowed: Sequence[str], what: str) -> None:
    error = _choice_error(value, allowed, what)
    if error:
        raise UserError(error)


def check_event(event: Event, tz: Any) -> None:
    """The rules every event keeps, whether created or edited."""
    for field, allowed, what in (
        ("mode", EVENT_MODES, "mode"),
        ("audience", AUDIENCES, "public"),
        ("waitlist", WAITLIST_POLICIES, "liste d'attente"),
    ):
        error = _choice_error(getattr(event, field), allowed, what)
        if error:
            raise InvalidEvent(field, error)
    if not event.title.strip():
        raise InvalidEvent("title", "le titre de l'événement est vide")
    for field, moment, what in (
        ("starts_at", event.starts_at, "la date de début"),
        ("ends_at", event.ends_at, "la date de fin"),
        ("opens_at", event.opens_at, "l'ouverture des inscriptions"),
        ("closes_at", event.closes_at, "la clôture des inscriptions"),
    ):
        if moment is None:
            continue
        try:  # years 2000–2100 only: one event in year 9999 breaks the calendar feed for all
            check_year(moment.astimezone(tz), what)
        except DateInputError as exc:
            raise InvalidEvent(field, str(exc)) from None
    if event.ends_at <= event.starts_at:
        raise InvalidEvent(
            "ends_at",
            f"la fin ({french_datetime(event.ends_at, tz)}) doit venir après le début "
            f"({french_datetime(event.starts_at, tz)})",
        )
    if event.capacity is not None and event.capacity < 0:
        raise InvalidEvent(
            "capacity", f"capacité négative ({event.capacity}) ; 0 signifie sans limite"
        )
    if event.offer_hours < 1:
        raise InvalidEvent(
            "offer_hours",
            f"durée d'une offre de place : au moins 1 heure, trouvé {event.offer_hours}",
        )
    if event.mode == "in-person" and not event.venue.strip():
        raise InvalidEvent("venue", "un événement en présentiel demande un lieu")
    if event.opens_at and event.closes_at and event.closes_at <= event.opens_at:
        raise InvalidEvent("closes_at", "les inscriptions doivent fermer après leur ouverture")
    if any(minutes < 1 for minutes in event.reminders_minutes):
        raise InvalidEvent(
            "reminders_minutes", "les rappels se comptent en minutes avant le début (au moins 1)"
        )


def check_answers(event: Event, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers kept for the event's questions (others are dropped), or why they are not
    acceptable."""
    kept: dict[str, str] = {}
    for question in event.questions:
        value = (answers.get(question.key) or "").strip()
        if not value:
            if question.required:
                raise UserError(f"réponse manquante à la question « {question.label} »")
            continue
        if question.kind == "choice" and value not in question.choices:
            raise UserError(
                f"réponse « {value} » impossible à la question « {question.label} » ; "
                f"choix possibles : {', '.join(question.choices)}"
            )
        if len(value) > 2000:
            raise UserError(f"réponse trop longue à la question « {question.label} »")
        kept[question.key] = value
    return kept


def slugify(text: str, max_length: int = 60) -> str:
    """'Journées Nationales 2026' → 'journees-nationales-2026' (cut between words)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[: max_length + 1].rsplit("-", 1)[0][:max_length]
    return slug or "evenement"
