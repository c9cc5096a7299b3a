"""Who may register for an event: the audience rules, checked whatever the channel."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Protocol

# Roles that make someone a CPTS employee (a coordinator or director is one too).
_SALARIE_ROLES = ("salarie", "coordinateur")

LABELS = {
    "public": "ouvert à tous",
    "members": "réservé aux adhérents",
    "salaries": "réservé au Collectif des salariés",
    "elus": "réservé au Collectif des élus",
    "salaries+elus": "réservé aux Collectifs des salariés et des élus",
    "coordinateurs": "réservé aux coordinateurs et directeurs de CPTS adhérentes",
}


@dataclass(frozen=True)
class Profile:
    """What eligibility looks at: the role and membership on the person's record."""

    role: str
    member: bool


def _allowed(audience: str, profile: Profile) -> bool:
    if audience == "public":
        return True
    if not profile.member:
        return False
    return {
        "members": True,
        "salaries": profile.role in _SALARIE_ROLES,
        "elus": profile.role == "elu",
        "salaries+elus": profile.role in (*_SALARIE_ROLES, "elu"),
        "coordinateurs": profile.role == "coordinateur",
    }[audience]


def refusal(audience: str, profile: Profile) -> str | None:
    """Why this person may not register (a polite French sentence), or None if they may."""
    if _allowed(audience, profile):
        return None
    if not profile.member:
        return (
            f"Cet événement est {LABELS[audience]} de la FCPTS. Si votre CPTS est adhérente, "
            "écrivez-nous pour que nous mettions votre fiche à jour."
        )
    return (
        f"Cet événement est {LABELS[audience]}. D'après nos informations, vous n'en faites pas "
        "partie ; si c'est une erreur, écrivez-nous pour mettre votre fiche à jour."
    )


class Record(Protocol):
    """What eligibility reads of a person's record (`Subscriber`)."""

    @property
    def role(self) -> str: ...

    @property
    def member(self) -> bool: ...


@dataclass(frozen=True)
class Viewer:
    """Who looks at the events: a person (their record decides, as for registering), or a
    channel that shows events to everyone in it, with the audiences it may show (a Discord
    channel of elected members: {"public", "elus"}), or both."""

    person: Record | None = None
    audiences: Set[str] = field(default_factory=lambda: frozenset({"public"}))
    # A place that never shows other audiences, whoever looks (a Discord server: the élus'
    # events never appear in the salariés' server, even to someone who may join them).
    within: Set[str] | None = None

    @classmethod
    def in_place(cls, audiences: Set[str], person: Record | None = None) -> Viewer:
        """Who looks from a place showing `audiences`: without a person, what the place shows;
        with one, only what they may also join."""
        if person is None:
            return cls(audiences=audiences, within=audiences)
        return cls(person, audiences=frozenset(), within=audiences)

    def may_see(self, audience: str) -> bool:
        """Whether events of this audience are for this viewer (to see and to join)."""
        if self.within is not None and audience not in self.within:
            return False
        if audience in self.audiences:
            return True
        if self.person is None:
            return False
        return refusal(audience, Profile(self.person.role, self.person.member)) is None
