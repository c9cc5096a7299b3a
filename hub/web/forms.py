"""What the public forms (the newsletter sign-up, an event's registration) share: the trap
field for robots, the length limit of the identity fields and the French errors about them,
the answer to too many requests, so that both forms refuse the same input with the same
words."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

HONEYPOT = "site_web"  # hidden by CSS: a person leaves it empty, a robot fills it in
MAX_LENGTH = 100
EMAIL_EXAMPLE = "prenom.nom@cpts-exemple.fr"
MISSING_EMAIL = f"indiquez votre adresse e-mail, par exemple {EMAIL_EXAMPLE}"

# The identity fields whose length is limited, with their name in an error.
_LIMITED = (("prenom", "le prénom"), ("nom", "le nom"), ("organisation", "ce champ"))


def identity_errors(values: Mapping[str, str]) -> dict[str, str]:
    """The errors of the first name (required) and of the lengths of the first name, last
    name and organisation, by field."""
    errors: dict[str, str] = {}
    if not values["prenom"]:
        errors["prenom"] = "indiquez votre prénom"
    for field, what in _LIMITED:
        if len(values[field]) > MAX_LENGTH:
            errors[field] = f"{what} est trop long : {MAX_LENGTH} caractères au plus"
    return errors


def too_many_requests(
    notice: Callable[..., web.Response], request: web.Request, way_back: tuple[str, str]
) -> web.Response:
    """The 429 page of a form whose connection sent too many requests in the hour, as the
    form's package `notice` shows it."""
    return notice(
        request,
        status=429,
        title="Trop de demandes",
        lead="Trop de demandes d'inscription sont venues de votre connexion depuis une heure.",
        paragraphs=["Réessayez dans une heure. Rien n'a été enregistré pour cette demande."],
        links=[way_back],
    )
