"""E-mail addresses as the hub stores and compares them: validated, in ASCII, lower-cased.

One person is one row per normalised address, so every channel (the web form, an import, the
command line, a Discord command) must normalise the same way before looking a person up.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from hub.errors import UserError

if TYPE_CHECKING:
    from email_validator import ValidatedEmail


class InvalidEmail(UserError):
    """An address that cannot be an e-mail address; the message says what is wrong with it."""


# email-validator's reasons, in French, found by a piece of their English wording.
_REASONS = (
    ("must have an @-sign", "il manque le @"),
    ("at-sign", "le @ n'est pas le bon caractère"),
    ("something before the @-sign", "rien avant le @"),
    ("something after the @-sign", "rien après le @"),
    ("two periods in a row", "deux points se suivent"),
    ("period and a hyphen", "un point et un tiret se suivent"),
    ("with a period", "un point au début ou à la fin d'une partie de l'adresse"),
    ("with a hyphen", "un tiret au début ou à la fin du domaine"),
    ("should have a period", "le domaine après le @ doit contenir un point (ex. : cpts.fr)"),
    ("top-level domain", "l'extension du domaine (.fr, .org…) n'est pas valable"),
    ("special-use or reserved", "ce domaine est réservé et ne reçoit pas d'e-mails"),
    ("too long", "l'adresse est trop longue"),
    ("display name", "ne mettez que l'adresse, sans nom ni chevrons < >"),
    ("Quoting", "les guillemets ne sont pas acceptés"),
    (
        "Internationalized characters before",
        "pas de lettre accentuée (é, ç…) avant le @ : nos e-mails ne pourraient pas être "
        "remis à cette adresse",
    ),
    ("invalid character", "elle contient des caractères non autorisés"),
    ("unsafe characters", "elle contient des caractères non autorisés"),
)

# Most addresses are plain ASCII dot-atoms: checked by this pattern (a strict subset of what
# email-validator accepts) and a cached check of their domain, they skip the full validation,
# which costs ~60 µs an address, too much for a 100,000-row import.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


@lru_cache(maxsize=4096)
def _simple_domain_ok(domain: str) -> bool:
    """Whether an ASCII domain is valid and already in normal form (once per domain)."""
    from email_validator import EmailNotValidError

    try:
        return _validated(f"a@{domain}").ascii_domain == domain
    except EmailNotValidError:
        return False


def _validated(text: str) -> ValidatedEmail:
    """email-validator's verdict, without DNS checks and without SMTPUTF8: an address with
    an accented local part (« José@… ») could not be sent to through our relays, and the
    SendGrid and SMTP backends write addresses in plain ASCII headers. Imported here: it
    compiles its patterns at import (~30 ms), which a command that reads no address (`hub
    --help`, `hub events list`) need not pay."""
    from email_validator import validate_email

    return validate_email(text, check_deliverability=False, allow_smtputf8=False)


def normalise_email(raw: str) -> str:
    """The address as stored and compared: validated, in its ASCII form, lower-cased as a whole.

    email-validator (without DNS checks) lower-cases the domain, and an internationalised
    domain is kept in its ASCII (« xn-- ») form, the one mail headers can carry; the local part
    is lower-cased too, because French mail providers ignore its case: « Marie.Dupont@… » and
    « marie.dupont@… » are the same person and must be one subscriber.
    """
    text = raw.strip()
    match = _SIMPLE.fullmatch(text)
    if match and len(match[1]) <= 64 and len(text) <= 254:
        text = text.lower()
        if _simple_domain_ok(match[2].lower()):
            return text
    if not text:
        raise InvalidEmail("adresse e-mail vide")
    from email_validator import EmailNotValidError

    try:
        return _validated(text).ascii_email.lower()  # type: ignore[union-attr]
    except EmailNotValidError as exc:
        english = str(exc)
        reason = next((fr for en, fr in _REASONS if en in english), "adresse mal formée")
        if any(c.isspace() for c in text):
            reason = "elle contient une espace"
        raise InvalidEmail(f"adresse e-mail invalide « {raw.strip()} » : {reason}") from None
