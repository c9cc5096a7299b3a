"""An event's page and its registration form: the anonymous form (whose answer tells nothing
about the address typed) and the form of the person of a signed link.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from hub import notices
from hub.config import Question
from hub.errors import UserError
from hub.events.model import Event, NotEligible, Refused, Registration
from hub.events.service import Events, check_answers
from hub.events.wording import offer_deadline
from hub.subscribers.service import InvalidEmail, Person, normalise_email
from hub.web import SERVICES_KEY
from hub.web.events.shared import (
    EventView,
    Visitor,
    event_view,
    events_service,
    invalid_link,
    notice,
    registrations_path,
    unknown_event,
    visitor_of,
)
from hub.web.forms import HONEYPOT, MAX_LENGTH, MISSING_EMAIL, identity_errors, too_many_requests
from hub.web.pages import render_page

log = logging.getLogger("hub.web.events")

routes = web.RouteTableDef()

ANSWER_PREFIX = "q-"  # form field of each of the event's questions
RATE_SCOPE = "evenements"  # the registrations' own count per IP, apart from sign-ups'
MAX_RADIOS = 5
_IDENTITY = ("email", "prenom", "nom", "organisation")


def _closed(events: Events, event: Event) -> str | None:
    """Why registrations are not open now (not published, over, outside its window), or None."""
    return events.closed_reason(event)


def _radios(question: Question) -> bool:
    """A choice among a few is shown as radio buttons, among more as a list."""
    return question.kind == "choice" and len(question.choices) <= MAX_RADIOS


def _form_page(
    request: web.Request,
    view: EventView,
    visitor: Visitor,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    closed: str | None = None,
    status: int = 200,
) -> web.Response:
    config = request.app[SERVICES_KEY].config
    # Each error of the summary links to its field: a radio group's first button.
    anchors = {field: field for field in (*_IDENTITY, "consentement", "formulaire")} | {
        ANSWER_PREFIX + q.key: ANSWER_PREFIX + q.key + ("-1" if _radios(q) else "")
        for q in view.event.questions
    }
    return render_page(
        request,
        "event.html",
        status=status,
        view=view,
        visitor=visitor,
        closed=closed,
        values=values,
        errors=errors,
        anchors=anchors,
        action=f"/evenements/{view.event.slug}{visitor.query}",
        registrations_url=(registrations_path(config, visitor.person) if visitor.person else None),
        consent_text=config.events.consent_text,
        honeypot=HONEYPOT,
        max_length=MAX_LENGTH,
        answer_prefix=ANSWER_PREFIX,
        radios=_radios,
    )


async def _open_event(
    request: web.Request,
) -> tuple[Events, Event, Visitor] | web.Response:
    """The event of the page and its visitor, or the page that refuses them."""
    visitor = await visitor_of(request)
    if visitor is None:
        return invalid_link(request)
    events = events_service(request)
    try:
        event = await events.by_slug(request.match_info["slug"])
    except UserError:
        return unknown_event(request, visitor)
    if event.status == "draft" or (visitor.person is None and event.audience != "public"):
        return unknown_event(request, visitor)
    reason = visitor.refusal(event)
    if reason:
        # The person of a signed link is told by `refusal` how to have their record fixed.
        return notice(
            request,
            status=403,
            title="Événement réservé",
            lead=reason,
            links=[(f"/evenements/{visitor.query}", "Voir les événements ouverts")],
        )
    return events, event, visitor


@routes.get("/evenements/{slug}")
async def event_page(request: web.Request) -> web.Response:
    found = await _open_event(request)
    if isinstance(found, web.Response):
        return found
    events, event, visitor = found
    empty = {field: "" for field in (*_IDENTITY, "consentement")} | {
        ANSWER_PREFIX + q.key: "" for q in event.questions
    }
    return _form_page(
        request,
        await event_view(events, event, visitor),
        visitor,
        empty,
        {},
        closed=_closed(events, event),
    )


def _read_form(
    form: MultiDictProxy[Any], event: Event, visitor: Visitor
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The values as typed (to show again), the answers to the event's questions, and the
    errors by field. The questions are checked one by one by the service's own rules, so
    each error shows at its question."""
    values: dict[str, Any] = {
        field: str(form.get(field, "")).strip() for field in (*_IDENTITY, "consentement")
    }
    answers = {q.key: str(form.get(ANSWER_PREFIX + q.key, "")).strip() for q in event.questions}
    values.update({ANSWER_PREFIX + key: value for key, value in answers.items()})
    errors: dict[str, str] = {}
    if visitor.person is None:
        if not values["email"]:
            errors["email"] = MISSING_EMAIL
        else:
            try:
                values["email"] = normalise_email(values["email"])
            except InvalidEmail as exc:
                errors["email"] = str(exc)
        errors |= identity_errors(values)
    for question in event.questions:
        try:
            check_answers(replace(event, questions=[question]), answers)
        except UserError as exc:
            errors[ANSWER_PREFIX + question.key] = str(exc)
    if not values["consentement"]:
        errors["consentement"] = (
            "cochez la case d'accord : sans votre accord, nous ne pouvons pas vous inscrire"
        )
    return values, answers, errors


def _outcome(
    request: web.Request,
    view: EventView,
    visitor: Visitor,
    registration: Registration,
    *,
    created: bool,
    email: str,
) -> web.Response:
    """What became of the registration of the person of a signed link (only they are told:
    anyone may type an address in the form, see `_request_received`)."""
    config = request.app[SERVICES_KEY].config
    event = view.event
    links = [(f"/evenements/{visitor.query}", "Voir les autres événements")]
    if visitor.person is not None:
        links.insert(0, (registrations_path(config, visitor.person), "Voir mes inscriptions"))
    again = [] if created else ["Vous étiez déjà inscrit(e)."]
    cancel = (
        "Vous ne pourrez pas venir ? Annulez votre inscription depuis la page « Mes "
        "inscriptions » : le lien est dans chaque e-mail."
    )
    if registration.status == "waitlisted":
        served = (
            f"elle vous sera proposée par e-mail, et vous aurez {event.offer_hours} heures "
            "pour l'accepter."
            if event.waitlist == "offer"
            else "elle vous sera attribuée automatiquement et vous serez prévenu(e) par e-mail."
        )
        return notice(
            request,
            title="Vous êtes sur la liste d'attente",
            lead=f"L'événement est complet : vous êtes n° {registration.position} sur la liste "
            "d'attente.",
            view=view,
            paragraphs=[
                *again,
                f"Si une place se libère, {served}",
                f"Un e-mail le confirme à l'adresse {email}.",
                cancel,
            ],
            links=links,
        )
    if registration.status == "offered" and registration.offer_expires_at is not None:
        deadline = offer_deadline(registration, config.tz)
        if visitor.person is not None:
            links.insert(
                0,
                (
                    notices.signed_path(config, "offer", visitor.person, str(registration.id)),
                    "Accepter la place",
                ),
            )
        return notice(
            request,
            title="Une place vous est proposée",
            lead=f"Une place s'est libérée pour vous : elle vous est réservée jusqu'au {deadline}.",
            view=view,
            paragraphs=[
                *again,
                "Acceptez-la avec le bouton de l'e-mail reçu ; sans réponse à temps, elle sera "
                "proposée à la personne suivante.",
            ],
            links=links,
        )
    online = (
        ["Le lien de connexion vous sera envoyé avec la confirmation et les rappels."]
        if event.online
        else []
    )
    return notice(
        request,
        title="Inscription confirmée",
        lead="Votre place est réservée.",
        view=view,
        paragraphs=[
            *again,
            f"Un e-mail de confirmation, avec l'invitation pour votre agenda, part à l'adresse "
            f"{email}.",
            *online,
            cancel,
        ],
        links=links,
    )


def _request_received(request: web.Request, view: EventView, email: str) -> web.Response:
    """The answer to the anonymous form, the same whatever the address typed: new,
    registered, on the waiting list, cancelled or blocked. The seats left are not shown: a
    count that moved, or not, would tell whether the address was registered already."""
    return notice(
        request,
        title="Demande reçue",
        lead="Votre demande d'inscription est reçue : la suite vous parvient par e-mail.",
        view=replace(view, seats=None),
        paragraphs=[
            f"Si l'inscription est possible, un e-mail part à l'adresse {email} : place "
            "confirmée (avec l'invitation pour votre agenda) ou liste d'attente.",
            "Vous étiez déjà inscrit(e) ? Rien ne change : l'e-mail reçu alors et la page « Mes "
            "inscriptions », dont le lien est dans chaque e-mail, font foi. Une inscription "
            "annulée se reprend depuis cette page.",
            "Pas d'e-mail d'ici quelques minutes ? Regardez dans les courriers indésirables, "
            "puis vérifiez l'adresse saisie.",
        ],
        links=[(f"/evenements/{view.event.slug}", "Revenir à l'événement")],
    )


@routes.post("/evenements/{slug}")
async def register(request: web.Request) -> web.Response:
    found = await _open_event(request)
    if isinstance(found, web.Response):
        return found
    events, event, visitor = found
    services = request.app[SERVICES_KEY]
    ip = request.remote or "inconnue"
    limit = services.config.events.registrations_per_ip_per_hour
    if not await services.rate_limiter.allow(f"{RATE_SCOPE} {ip}", limit):
        log.warning("registration refused: rate limit", extra={"remote": ip})
        return too_many_requests(
            notice, request, (f"/evenements/{event.slug}{visitor.query}", "Revenir à l'événement")
        )
    form = await request.post()
    values, answers, errors = _read_form(form, event, visitor)
    if form.get(HONEYPOT):
        log.info("registration ignored: honeypot filled", extra={"remote": ip})
        if visitor.person is None:
            return _request_received(
                request, await event_view(events, event, visitor), values["email"]
            )
        return notice(request, title="Demande reçue", lead="Votre demande a bien été reçue.")
    if errors:
        view = await event_view(events, event, visitor)
        return _form_page(request, view, visitor, values, errors, status=400)
    try:
        if visitor.person is None:
            person = Person(
                email=values["email"],
                first_name=values["prenom"],
                last_name=values["nom"],
                organisation=values["organisation"],
            )
            await events.request(
                event.slug, person, source="web", answers=answers, ip=request.remote
            )
            return _request_received(
                request, await event_view(events, event, visitor), person.email
            )
        person = Person(
            email=visitor.person.email,
            role=visitor.person.role,
            member=visitor.person.member,
        )
        registered = await events.register(
            event.slug, person, source="web", answers=answers, ip=request.remote
        )
    except Refused as exc:
        log.info(
            "registration refused",
            extra={"event": event.slug, "eligible": not isinstance(exc, NotEligible)},
        )
        return notice(
            request,
            status=403 if isinstance(exc, NotEligible) else 409,
            title="Inscription impossible",
            lead=str(exc),
            view=await event_view(events, event, visitor),
            links=[(f"/evenements/{visitor.query}", "Voir les autres événements")],
        )
    except UserError as exc:
        view = await event_view(events, event, visitor)
        return _form_page(request, view, visitor, values, {"formulaire": str(exc)}, status=400)
    return _outcome(
        request,
        await event_view(events, event, visitor),  # the seats left, this registration counted
        visitor,
        registered.registration,
        created=registered.created,
        email=person.email,
    )
