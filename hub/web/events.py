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

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from hub import notices
from hub.config import Config, Question
from hub.errors import UserError
from hub.events.audience import Profile, Viewer, refusal
from hub.events.ics import calendar_feed
from hub.events.model import Event, NotEligible, Refused, Registration
from hub.events.service import Events, check_answers
from hub.events.wording import (
    AUDIENCE_LABELS,
    MODE_LABELS,
    REGISTRATION_HEADLINES,
    capitalised,
    kind_name,
    seats_left,
    when,
)
from hub.ids import parse_id
from hub.subscribers.service import InvalidEmail, Person, Subscriber, normalise_email
from hub.timeutil import french_datetime
from hub.tokens import InvalidToken
from hub.web import SERVICES_KEY
from hub.web.pages import render_page
from hub.web.subscriptions import HONEYPOT, MAX_LENGTH

log = logging.getLogger("hub.web.events")

routes = web.RouteTableDef()

KEY_PARAM = "cle"  # ?cle=<"registrations" token>: the visitor is that person
ANSWER_PREFIX = "q-"  # form field of each of the event's questions
RATE_SCOPE = "evenements"  # the registrations' own count per IP, apart from sign-ups'
MAX_RADIOS = 5
_IDENTITY = ("email", "prenom", "nom", "organisation")


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


async def _view(events: Events, event: Event, visitor: Visitor) -> EventView:
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


def _events(request: web.Request) -> Events:
    """The process's one events service (its cache of event ids by slug serves every request,
    and it wakes the mail worker itself after a change that queued e-mail)."""
    return request.app[SERVICES_KEY].events


def _notice(
    request: web.Request,
    *,
    title: str,
    lead: str,
    status: int = 200,
    view: EventView | None = None,
    paragraphs: Sequence[str] = (),
    links: Sequence[tuple[str, str]] = (),
) -> web.Response:
    return render_page(
        request,
        "event_notice.html",
        status=status,
        title=title,
        lead=lead,
        view=view,
        paragraphs=paragraphs,
        links=links,
    )


def _unknown_event(request: web.Request, visitor: Visitor) -> web.Response:
    """The one answer for an event that does not exist, is a draft, or is not for a visitor
    without their signed link: which of these it is stays unknown."""
    config = request.app[SERVICES_KEY].config
    return _notice(
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


def _invalid_link(request: web.Request) -> web.Response:
    return _notice(
        request,
        status=404,
        title="Lien invalide",
        lead="Ce lien n'est pas valide : il a pu être mal copié ou coupé par votre messagerie.",
        paragraphs=["Ouvrez-le de nouveau, en entier, depuis l'e-mail de la fédération reçu."],
        links=[("/evenements/", "Voir les événements ouverts à tous")],
    )


async def _signed_person(
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


async def _visitor(request: web.Request) -> Visitor | None:
    """The visitor of an agenda or event page; None when the key it carries is not valid."""
    key = request.query.get(KEY_PARAM, "")
    if not key:
        return Visitor()
    found = await _signed_person(request, key, "registrations")
    return Visitor(found[0], key) if found else None


def _registrations_path(config: Config, person: Subscriber) -> str:
    return notices.signed_path(config, "registrations", person)


# --- The agenda -------------------------------------------------------------------------------


@routes.get("/evenements/")
async def agenda(request: web.Request) -> web.Response:
    visitor = await _visitor(request)
    if visitor is None:
        return _invalid_link(request)
    events = _events(request)
    shown = [
        await _view(events, event, visitor)
        for event in await events.visible_to(Viewer(visitor.person))
    ]
    return render_page(request, "events.html", views=shown, visitor=visitor)


@routes.get("/evenements.ics")
async def calendar(request: web.Request) -> web.Response:
    """The public events as a calendar to subscribe to (past ones stay, so that subscribed
    calendars keep them)."""
    events = _events(request)
    feed = calendar_feed(events.config, await events.list_events(status="published"))
    return web.Response(
        body=feed,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'inline; filename="evenements.ics"'},
    )


# --- An event and its registration form -------------------------------------------------------


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
        registrations_url=(_registrations_path(config, visitor.person) if visitor.person else None),
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
    visitor = await _visitor(request)
    if visitor is None:
        return _invalid_link(request)
    events = _events(request)
    try:
        event = await events.by_slug(request.match_info["slug"])
    except UserError:
        return _unknown_event(request, visitor)
    if event.status == "draft" or (visitor.person is None and event.audience != "public"):
        return _unknown_event(request, visitor)
    reason = visitor.refusal(event)
    if reason:
        # The person of a signed link is told by `refusal` how to have their record fixed.
        return _notice(
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
        await _view(events, event, visitor),
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
            errors["email"] = (
                "indiquez votre adresse e-mail, par exemple prenom.nom@cpts-exemple.fr"
            )
        else:
            try:
                values["email"] = normalise_email(values["email"])
            except InvalidEmail as exc:
                errors["email"] = str(exc)
        if not values["prenom"]:
            errors["prenom"] = "indiquez votre prénom"
        for field, label in (("prenom", "le prénom"), ("nom", "le nom")):
            if len(values[field]) > MAX_LENGTH:
                errors[field] = f"{label} est trop long : {MAX_LENGTH} caractères au plus"
        if len(values["organisation"]) > MAX_LENGTH:
            errors["organisation"] = f"ce champ est trop long : {MAX_LENGTH} caractères au plus"
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
        links.insert(0, (_registrations_path(config, visitor.person), "Voir mes inscriptions"))
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
        return _notice(
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
        deadline = french_datetime(registration.offer_expires_at, config.tz, weekday=True)
        if visitor.person is not None:
            links.insert(
                0,
                (
                    notices.signed_path(config, "offer", visitor.person, str(registration.id)),
                    "Accepter la place",
                ),
            )
        return _notice(
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
    return _notice(
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
    return _notice(
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
        return _notice(
            request,
            status=429,
            title="Trop de demandes",
            lead="Trop de demandes d'inscription sont venues de votre connexion depuis une heure.",
            paragraphs=["Réessayez dans une heure. Rien n'a été enregistré pour cette demande."],
            links=[(f"/evenements/{event.slug}{visitor.query}", "Revenir à l'événement")],
        )
    form = await request.post()
    values, answers, errors = _read_form(form, event, visitor)
    if form.get(HONEYPOT):
        log.info("registration ignored: honeypot filled", extra={"remote": ip})
        if visitor.person is None:
            return _request_received(request, await _view(events, event, visitor), values["email"])
        return _notice(request, title="Demande reçue", lead="Votre demande a bien été reçue.")
    if errors:
        view = await _view(events, event, visitor)
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
            return _request_received(request, await _view(events, event, visitor), person.email)
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
        return _notice(
            request,
            status=403 if isinstance(exc, NotEligible) else 409,
            title="Inscription impossible",
            lead=str(exc),
            view=await _view(events, event, visitor),
            links=[(f"/evenements/{visitor.query}", "Voir les autres événements")],
        )
    except UserError as exc:
        view = await _view(events, event, visitor)
        return _form_page(request, view, visitor, values, {"formulaire": str(exc)}, status=400)
    return _outcome(
        request,
        await _view(events, event, visitor),  # the seats left, this registration counted
        visitor,
        registered.registration,
        created=registered.created,
        email=person.email,
    )


# --- Mes inscriptions -------------------------------------------------------------------------


async def _registrations_page(
    request: web.Request,
    person: Subscriber,
    *,
    saved: str = "",
    problem: str = "",
    status: int = 200,
) -> web.Response:
    config = request.app[SERVICES_KEY].config
    events = _events(request)
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
        deadline = (
            french_datetime(registration.offer_expires_at, config.tz, weekday=True)
            if registration.offer_expires_at
            else ""
        )
        items.append(
            {
                "view": await _view(events, event, visitor),
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
    found = await _signed_person(request, request.match_info["token"], "registrations")
    if found is None:
        return _invalid_link(request)
    return await _registrations_page(request, found[0])


@routes.post("/evenements/mes-inscriptions/{token}")
async def cancel_registration(request: web.Request) -> web.Response:
    """Cancel one of the person's registrations; its seat goes to the waiting list (the
    service does it) and the person is told by e-mail."""
    found = await _signed_person(request, request.match_info["token"], "registrations")
    if found is None:
        return _invalid_link(request)
    person = found[0]
    form = await request.post()
    events = _events(request)
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


# --- A seat offered from the waiting list -----------------------------------------------------


async def _offer(request: web.Request) -> tuple[Events, Event, Registration, Subscriber] | None:
    """The offer a signed link names, if it is the link's person's own."""
    found = await _signed_person(request, request.match_info["token"], "offer")
    registration_id = parse_id(found[1]) if found is not None else None
    if found is None or registration_id is None:
        return None
    person = found[0]
    events = _events(request)
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
    expiry = registration.offer_expires_at
    open_offer = registration.offer_open(event, now)
    return render_page(
        request,
        "event_offer.html",
        status=status,
        view=replace(view, seats=None),  # the seat is theirs: "complet" would only confuse
        registration=registration,
        open_offer=open_offer and not problem,
        deadline=french_datetime(expiry, config.tz, weekday=True) if expiry else "",
        cancelled=event.status == "cancelled",
        problem=problem,
        action=request.path,
        registrations_url=_registrations_path(config, person),
    )


@routes.get("/evenements/offre/{token}")
async def offer_page(request: web.Request) -> web.Response:
    """Shows the offer and its button, and changes nothing: mail scanners open every link."""
    found = await _offer(request)
    if found is None:
        return _invalid_link(request)
    events, event, registration, person = found
    view = await _view(events, event, Visitor(person))
    return _offer_page(request, view, registration, person)


@routes.post("/evenements/offre/{token}")
async def accept_offer(request: web.Request) -> web.Response:
    found = await _offer(request)
    if found is None:
        return _invalid_link(request)
    events, event, registration, person = found
    visitor = Visitor(person)
    if event.status != "published":
        return _offer_page(request, await _view(events, event, visitor), registration, person)
    try:
        registration = await events.accept_offer(registration.id)
    except Refused as exc:
        view = await _view(events, event, visitor)
        return _offer_page(request, view, registration, person, problem=str(exc), status=410)
    log.info("offer accepted", extra={"event": event.slug})
    return _offer_page(request, await _view(events, event, visitor), registration, person)
