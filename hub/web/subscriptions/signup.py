"""The public sign-up form (`GET`/`POST /abonnement`): the rules are the `Signup` service's;
the page answers the same whatever the address, and the e-mail leaves after the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from hub.config import Config
from hub.subscribers.service import InvalidEmail, Person, normalise_email
from hub.subscribers.signup import NOTICE_COOLDOWN, SignupResult
from hub.web.forms import (
    EMAIL_EXAMPLE,
    HONEYPOT,
    MAX_LENGTH,
    MISSING_EMAIL,
    identity_errors,
    too_many_requests,
)
from hub.web.pages import render_page
from hub.web.subscriptions.shared import notice, services_of, web_consent
from hub.web.tasks import BACKGROUND_TASKS

log = logging.getLogger("hub.web.subscriptions")

routes = web.RouteTableDef()

# The form's wording of each role, a choice to make (the short names: hub.subscribers.labels).
ROLE_CHOICES = {
    "coordinateur": "Coordinateur ou coordinatrice de CPTS",
    "salarie": "Salarié(e) d'une CPTS",
    "elu": "Élu(e) d'une CPTS (bureau, conseil d'administration)",
    "partenaire": "Partenaire (ARS, Assurance maladie, institution…)",
    "autre": "Autre",
}
_FIELDS = ("email", "prenom", "nom", "organisation", "role", "listes", "consentement")


def _form_page(
    request: web.Request,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
) -> web.Response:
    config = services_of(request).config
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
    empty: dict[str, Any] = {field: "" for field in _FIELDS} | {"listes": []}
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
        errors["email"] = MISSING_EMAIL
    else:
        try:
            email = normalise_email(values["email"])
        except InvalidEmail as exc:
            errors["email"] = f"{exc}. Vérifiez-la, par exemple {EMAIL_EXAMPLE}"
    errors |= identity_errors(values)
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
    days = services_of(request).config.subscriptions.confirm_days
    minutes = int(NOTICE_COOLDOWN.total_seconds()) // 60
    return notice(
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
    services = services_of(request)
    config, service = services.config, services.signup
    ip = request.remote or "inconnue"
    if not await service.allow(ip):
        log.warning("sign-up refused: rate limit", extra={"remote": ip})
        return too_many_requests(notice, request, ("/", "Retour aux newsletters"))
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
    signed = await service.request(given, values["listes"], web_consent(config, request))
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
