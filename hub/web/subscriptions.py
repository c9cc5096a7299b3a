"""The subscription pages: the public sign-up form, the double opt-in confirmation, each
subscriber's preferences, and the unsubscription link of every newsletter (RFC 8058).

Handlers stay thin: the `Subscribers` service changes subscriptions and records consents, the
`Signup` service (`hub.subscribers.signup`) holds the sign-up's rules (rate, identity,
cooldown, which e-mail), `hub.notices` writes the e-mails. Every page but the form is reached
through a signed link (`hub.tokens`): a token that is forged, altered, of another purpose or
for a person who no longer exists gets the same French 404 page, and changes nothing.

The form answers the same whatever the address (new, pending, confirmed, suppressed), so it
cannot be used to learn who is subscribed; what differs goes to the mailbox, in the e-mail,
which is sent after the answer (`BackgroundTasks`): a relay's time must not tell whether an
e-mail left. That e-mail greets generically: the name typed in the form is nobody's word yet.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from hub import notices
from hub.config import Config, MailingList
from hub.notices import NoticeNotSent, confirm_ttl_seconds
from hub.services import HubServices
from hub.subscribers.labels import NOT_SUBSCRIBED, STATUS_LABELS, label
from hub.subscribers.service import (
    ACTIVE,
    Consent,
    InvalidEmail,
    Person,
    Subscriber,
    Subscribers,
    normalise_email,
)
from hub.subscribers.signup import NOTICE_COOLDOWN, SignupResult
from hub.tokens import ALL_LISTS, InvalidToken, Token, TokenExpired
from hub.web import SERVICES_KEY
from hub.web.pages import render_page
from hub.web.tasks import BACKGROUND_TASKS

log = logging.getLogger("hub.web.subscriptions")

routes = web.RouteTableDef()

HONEYPOT = "site_web"  # hidden by CSS: a person leaves it empty, a robot fills it in
MAX_LENGTH = 100
# The form's wording of each role, a choice to make (the short names: hub.subscribers.labels).
ROLE_CHOICES = {
    "coordinateur": "Coordinateur ou coordinatrice de CPTS",
    "salarie": "Salarié(e) d'une CPTS",
    "elu": "Élu(e) d'une CPTS (bureau, conseil d'administration)",
    "partenaire": "Partenaire (ARS, Assurance maladie, institution…)",
    "autre": "Autre",
}
PREFERENCES_LABEL = "Choisir les lettres que je reçois"
# The way back the unsubscription pages give: not the preferences link itself (see `/u/`).
UNSUBSCRIBED_WAY_BACK = (
    "Vous pouvez revenir à tout moment : le lien « Gérer mes préférences » est en bas de chacune "
    "de nos lettres, et dans l'e-mail qui confirme votre désinscription."
)
_FIELDS = ("email", "prenom", "nom", "organisation", "role", "listes", "consentement")


def _consent(config: Config, request: web.Request) -> Consent:
    return Consent(
        source="web",
        text=config.subscriptions.consent_text,
        version=config.subscriptions.consent_version,
        ip=request.remote,
    )


def _notice(
    request: web.Request,
    *,
    title: str,
    lead: str,
    status: int = 200,
    lists: Sequence[MailingList] = (),
    paragraphs: Sequence[str] = (),
    links: Sequence[tuple[str, str]] = (),
) -> web.Response:
    return render_page(
        request,
        "subscription_notice.html",
        status=status,
        title=title,
        lead=lead,
        lists=lists,
        paragraphs=paragraphs,
        links=links,
    )


def _invalid_link(request: web.Request) -> web.Response:
    return _notice(
        request,
        status=404,
        title="Lien invalide",
        lead="Ce lien n'est pas valide : il a pu être mal copié ou coupé par votre messagerie.",
        paragraphs=[
            "Ouvrez-le de nouveau depuis l'e-mail reçu, en entier, ou refaites votre demande.",
        ],
        links=[("/abonnement", "S'abonner aux newsletters")],
    )


def _preferences_link(config: Config, subscriber: Subscriber) -> tuple[str, str]:
    """The way back every page after a change offers: the person's preferences."""
    return notices.signed_path(config, "preferences", subscriber), PREFERENCES_LABEL


def _services(request: web.Request) -> HubServices:
    """The process's services: every rule the pages apply is theirs."""
    return request.app[SERVICES_KEY]


async def _open_link(request: web.Request, purpose: str) -> tuple[Subscriber, Token] | web.Response:
    """The subscriber and token a signed link names, or the page that refuses it. A token
    naming no list the configuration still has is refused too."""
    services = _services(request)
    config = services.config
    try:
        subscriber, token = await services.subscribers.by_token(
            request.match_info["token"], purpose
        )
    except InvalidToken as exc:
        log.info("signed link refused", extra={"purpose": purpose, "problem": str(exc)})
        if isinstance(exc, TokenExpired):
            return _notice(
                request,
                status=410,
                title="Lien expiré",
                lead="Ce lien de confirmation a expiré : votre inscription n'a pas été confirmée.",
                paragraphs=["Refaites votre demande : un nouveau lien vous sera envoyé."],
                links=[("/abonnement", "S'abonner aux newsletters")],
            )
        return _invalid_link(request)
    if token.list != ALL_LISTS and not any(key in config.lists for key in token.lists):
        return _invalid_link(request)
    return subscriber, token


# --- Sign-up form ---------------------------------------------------------------------------


def _form_page(
    request: web.Request,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
) -> web.Response:
    config = _services(request).config
    lists = config.lists
    return render_page(
        request,
        "subscribe.html",
        status=status,
        values=values,
        errors=errors,
        # Each error of the summary links to its field (the group's first box for the lists).
        anchors={field: field for field in _FIELDS}
        | {"listes": f"liste-{next(iter(config.lists))}"},
        roles=[(key, ROLE_CHOICES[key]) for key in ROLE_CHOICES],
        lists=list(lists.items()),
        any_reserved=any(item.members_only for item in lists.values()),
        consent_text=config.subscriptions.consent_text,
        honeypot=HONEYPOT,
        max_length=MAX_LENGTH,
    )


@routes.get("/abonnement")
async def signup_form(request: web.Request) -> web.Response:
    empty = {field: "" for field in _FIELDS} | {"listes": []}
    return _form_page(request, empty, {})


def _read_form(
    form: MultiDictProxy[Any], config: Config
) -> tuple[dict[str, Any], dict[str, str], str]:
    """The values as typed (to show again), the errors by field, and the normalised address."""
    values: dict[str, Any] = {
        field: str(form.get(field, "")).strip() for field in _FIELDS if field != "listes"
    }
    values["listes"] = [key for key in form.getall("listes", []) if key in config.lists]
    errors: dict[str, str] = {}
    email = ""
    if not values["email"]:
        errors["email"] = "indiquez votre adresse e-mail, par exemple prenom.nom@cpts-exemple.fr"
    else:
        try:
            email = normalise_email(values["email"])
        except InvalidEmail as exc:
            errors["email"] = f"{exc}. Vérifiez-la, par exemple prenom.nom@cpts-exemple.fr"
    if not values["prenom"]:
        errors["prenom"] = "indiquez votre prénom"
    for field, what in (("prenom", "le prénom"), ("nom", "le nom"), ("organisation", "ce champ")):
        if len(values[field]) > MAX_LENGTH:
            errors[field] = f"{what} est trop long : {MAX_LENGTH} caractères au plus"
    if values["role"] and values["role"] not in ROLE_CHOICES:
        errors["role"] = "choisissez votre fonction dans la liste proposée"
    if not values["listes"]:
        errors["listes"] = "cochez au moins une lettre"
    if not values["consentement"]:
        errors["consentement"] = (
            "cochez la case d'accord : sans votre accord, nous ne pouvons pas vous inscrire"
        )
    return values, errors, email


def _signup_done(request: web.Request, email: str) -> web.Response:
    days = _services(request).config.subscriptions.confirm_days
    minutes = int(NOTICE_COOLDOWN.total_seconds()) // 60
    return _notice(
        request,
        title="Vérifiez votre boîte de réception",
        lead=f"Nous avons envoyé un e-mail à l'adresse {email} si elle peut recevoir nos lettres.",
        paragraphs=[
            "Ouvrez-le et cliquez sur le lien « Confirmer mon inscription » : sans cette "
            f"confirmation, vous ne recevrez rien. Le lien est valable {days} jours.",
            "Vous ne le trouvez pas d'ici quelques minutes ? Regardez dans les courriers "
            "indésirables, puis vérifiez l'adresse saisie.",
            f"Un seul e-mail part vers une même adresse toutes les {minutes} minutes : si vous "
            "avez déjà fait une demande juste avant, utilisez l'e-mail reçu alors.",
        ],
        links=[("/", "Retour aux newsletters")],
    )


@routes.post("/abonnement")
async def signup(request: web.Request) -> web.Response:
    services = _services(request)
    config, service = services.config, services.signup
    ip = request.remote or "inconnue"
    if not await service.allow(ip):
        log.warning("sign-up refused: rate limit", extra={"remote": ip})
        return _notice(
            request,
            status=429,
            title="Trop de demandes",
            lead="Trop de demandes d'inscription sont venues de votre connexion depuis une heure.",
            paragraphs=["Réessayez dans une heure. Rien n'a été enregistré pour cette demande."],
            links=[("/", "Retour aux newsletters")],
        )
    form = await request.post()
    values, errors, email = _read_form(form, config)
    if form.get(HONEYPOT):
        log.info("sign-up ignored: honeypot filled", extra={"remote": ip})
        return _signup_done(request, values["email"])
    if errors:
        return _form_page(request, values, errors, status=400)
    given = Person(
        email=email,
        first_name=values["prenom"],
        last_name=values["nom"],
        organisation=values["organisation"],
        role=values["role"] or "autre",
    )
    signed = await service.request(given, values["listes"], _consent(config, request))
    # The page is the same whatever happened; the e-mail, if one goes, says what differs.
    if signed.result == SignupResult.COOLDOWN:
        log.info("sign-up e-mail not sent: cooldown", extra={"remote": ip})
    mail = signed.mail
    if mail is not None:
        # After the answer, so that the answer takes the same time whether an e-mail leaves.
        async def send() -> None:
            await service.deliver(mail, lambda: nullcontext(services.messenger))

        request.app[BACKGROUND_TASKS].start(send(), name=f"signup-notice-{mail.email_hash[:12]}")
    return _signup_done(request, values["email"])


# --- Confirmation -----------------------------------------------------------------------------


@routes.get("/confirmer/{token}")
async def confirm(request: web.Request) -> web.Response:
    """Double opt-in. A GET that changes state, as every double opt-in link does: a mail
    scanner opening it first confirms what the person asked for, which is acceptable."""
    found = await _open_link(request, "confirm")
    if isinstance(found, web.Response):
        return found
    subscriber, token = found
    services = _services(request)
    config, subscribers = services.config, services.subscribers
    # The lists the link names (those still configured); a link of the former format, for
    # every list ("*"), confirms those pending when it was made.
    lists = [key for key in token.lists if key in config.lists] or ALL_LISTS
    made_at = None
    if token.expires_at is not None:
        made_at = datetime.fromtimestamp(token.expires_at - confirm_ttl_seconds(config), UTC)
    await subscribers.confirm(subscriber.id, lists, _consent(config, request), requested_by=made_at)
    statuses = await subscribers.subscriptions(subscriber.id)
    confirmed = [item for key, item in config.lists.items() if statuses.get(key) == "confirmed"]
    links = [_preferences_link(config, subscriber)]
    if not confirmed:
        return _notice(
            request,
            title="Aucune inscription à confirmer",
            lead="Cette adresse n'a aucune inscription en attente de confirmation.",
            paragraphs=["Vous pouvez choisir vos lettres sur la page de vos préférences."],
            links=links,
        )
    return _notice(
        request,
        title="Inscription confirmée",
        lead="Merci ! Vous recevrez désormais "
        + ("la lettre suivante :" if len(confirmed) == 1 else "les lettres suivantes :"),
        lists=confirmed,
        paragraphs=["Chaque e-mail contient un lien pour vous désinscrire en un clic."],
        links=links,
    )


async def _notify_unsubscribed(
    request: web.Request, subscribers: Subscribers, subscriber: Subscriber, lists: Sequence[str]
) -> None:
    """Tell the person, so a forwarded e-mail's link used by someone else can be undone; not
    a suppressed address. Sent after the answer, by the application's `BackgroundTasks`: a
    relay's delay must not hold a one-click unsubscription. A failure is logged, the
    unsubscription stands."""
    if not lists or await subscribers.is_suppressed(subscriber.email):
        return
    services = _services(request)
    config = services.config

    async def send() -> None:
        try:
            await notices.send_unsubscribed(
                config,
                services.messenger,
                email=subscriber.email,
                first_name=subscriber.first_name,
                lists=lists,
                person=subscriber,
            )
        except NoticeNotSent as exc:
            log.error("unsubscription e-mail not sent", extra={"problem": str(exc)})
        except Exception:
            log.exception("unsubscription e-mail failed")

    request.app[BACKGROUND_TASKS].start(send(), name=f"unsubscribed-notice-{subscriber.id}")


# --- Preferences ------------------------------------------------------------------------------


async def _preferences_page(
    request: web.Request,
    subscriber: Subscriber,
    *,
    saved: str = "",
    problems: Sequence[str] = (),
) -> web.Response:
    services = _services(request)
    config, subscribers = services.config, services.subscribers
    statuses = await subscribers.subscriptions(subscriber.id)
    choices = []
    for key, item in config.lists.items():
        status = statuses.get(key)
        active = status in ACTIVE
        # Reserved lists stay open to members; anyone may still leave one they are on.
        disabled = item.members_only and not subscriber.member and not active
        status_label = NOT_SUBSCRIBED if status is None else label(STATUS_LABELS, status)
        choices.append((key, item, status_label, active, disabled))
    if await subscribers.is_suppressed(subscriber.email):
        problems = [
            *problems,
            "Nos envois à cette adresse sont arrêtés (adresse en erreur, signalement comme "
            f"indésirable ou demande de suppression). Pour les reprendre, écrivez à "
            f"{config.federation.contact_email}.",
        ]
    return render_page(
        request,
        "preferences.html",
        subscriber=subscriber,
        choices=choices,
        saved=saved,
        problems=problems,
        action=request.path,
        consent_text=config.subscriptions.consent_text,
        disabled_reserved=any(choice[4] for choice in choices),
    )


@routes.get("/preferences/{token}")
async def preferences(request: web.Request) -> web.Response:
    found = await _open_link(request, "preferences")
    if isinstance(found, web.Response):
        return found
    return await _preferences_page(request, found[0])


@routes.post("/preferences/{token}")
async def save_preferences(request: web.Request) -> web.Response:
    """Checked lists are subscribed and confirmed at once (the link came from the person's own
    mailbox), unchecked ones left; "tout" leaves every list."""
    found = await _open_link(request, "preferences")
    if isinstance(found, web.Response):
        return found
    subscriber = found[0]
    services = _services(request)
    config, subscribers = services.config, services.subscribers
    form = await request.post()
    statuses = await subscribers.subscriptions(subscriber.id)
    active = {key for key, status in statuses.items() if status in ACTIVE}
    if form.get("action") == "tout":
        left = await subscribers.unsubscribe(subscriber.id, ALL_LISTS, "web", request.remote)
        await _notify_unsubscribed(request, subscribers, subscriber, left)
        return await _preferences_page(
            request, subscriber, saved="Vous êtes désinscrit(e) de toutes les lettres."
        )
    chosen = [key for key in config.lists if key in form.getall("listes", [])]
    problems = []
    to_join = [key for key in chosen if statuses.get(key) != "confirmed"]
    if to_join:
        outcomes = await subscribers.subscribe(
            Person(email=subscriber.email),
            to_join,
            _consent(config, request),
            confirmed=True,
            allow_resubscribe=True,
        )
        if any(o.status == "suppressed" for o in outcomes):
            problems.append("Les lettres cochées n'ont pas pu être ajoutées.")
    left = []
    for key in sorted(active - set(chosen)):
        left += await subscribers.unsubscribe(subscriber.id, key, "web", request.remote)
    await _notify_unsubscribed(request, subscribers, subscriber, left)
    return await _preferences_page(
        request, subscriber, saved="Vos choix sont enregistrés.", problems=problems
    )


# --- Unsubscription ---------------------------------------------------------------------------


def _lists_named(config: Config, list_key: str) -> list[MailingList]:
    return list(config.lists.values()) if list_key == ALL_LISTS else [config.lists[list_key]]


@routes.get("/u/{token}")
async def unsubscribe_page(request: web.Request) -> web.Response:
    """Shows what the button would do, and does nothing: mail scanners open every link. It
    does not lead to the preferences page: this link travels with every newsletter (forwarded,
    shared), and is worth one list's unsubscription, not the person's whole page."""
    found = await _open_link(request, "unsubscribe")
    if isinstance(found, web.Response):
        return found
    subscriber, list_key = found[0], found[1].list
    services = _services(request)
    config = services.config
    statuses = await services.subscribers.subscriptions(subscriber.id)
    keys = list(config.lists) if list_key == ALL_LISTS else [list_key]
    return render_page(
        request,
        "unsubscribe.html",
        lists=_lists_named(config, list_key),
        active=any(statuses.get(key) in ACTIVE for key in keys),
        action=request.path,
    )


@routes.post("/u/{token}")
async def unsubscribe(request: web.Request) -> web.Response:
    """RFC 8058 one-click (`List-Unsubscribe=One-Click` from a mail client) and the page's
    button alike: no login, no cookie, done at once, and again harmlessly."""
    found = await _open_link(request, "unsubscribe")
    if isinstance(found, web.Response):
        return found
    subscriber, list_key = found[0], found[1].list
    services = _services(request)
    config, subscribers = services.config, services.subscribers
    left = await subscribers.unsubscribe(subscriber.id, list_key, "web", request.remote)
    log.info("unsubscribed", extra={"lists": ",".join(left) or "-"})
    await _notify_unsubscribed(request, subscribers, subscriber, left)
    lists = _lists_named(config, list_key)
    return _notice(
        request,
        title="Vous êtes désinscrit(e)",
        lead="Vous ne recevrez plus "
        + ("la lettre suivante :" if len(lists) == 1 else "les lettres suivantes :"),
        lists=lists,
        paragraphs=[UNSUBSCRIBED_WAY_BACK],
        links=[("/", "Retour aux newsletters")],
    )
