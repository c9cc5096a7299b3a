"""`hub events register`, `accept` and `unregister`: registrations by hand (a phone call, an
e-mail), with the service's refusals said to staff with what to fix."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import click

from hub.cli import HubContext, pass_hub, print_json, run_async
from hub.cli.events.shared import (
    deliver,
    events_group,
    json_value,
    mailing,
    refuse,
    seat_moves,
)
from hub.cli.people import person_of_options
from hub.errors import UserError
from hub.events.audience import Profile, refusal
from hub.events.model import (
    Event,
    NotEligible,
    Refused,
    Registrant,
)
from hub.events.service import Events
from hub.events.wording import (
    AUDIENCE_LABELS,
    REGISTRATION_LABELS,
    registration_state,
)
from hub.subscribers.labels import ROLE_LABELS


def _answers(pairs: Sequence[str], event: Event) -> dict[str, str]:
    """--answer KEY=VALUE pairs, checked against the event's questions (a typo in a key would
    otherwise be dropped in silence)."""
    keys = [q.key for q in event.questions]
    answers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            raise UserError(f"--answer {pair!r} : format attendu CLE=VALEUR, ex. cpts=CPTS Sud")
        if key not in keys:
            known = ", ".join(keys) if keys else "cet événement n'en pose aucune"
            raise UserError(f"--answer {key} : question inconnue ; questions : {known}")
        answers[key] = value
    return answers


def _questions_hint(event: Event) -> str:
    return "questions de l'événement : " + ", ".join(
        f"--answer {q.key}=… ({q.label}{', obligatoire' if q.required else ''}"
        + (f" ; choix : {' / '.join(q.choices)}" if q.kind == "choice" else "")
        + ")"
        for q in event.questions
    )


# How staff type each role on the command line (--role).
_ROLE_OPTIONS = {
    "salarie": "salarié",
    "elu": "élu",
    "coordinateur": "coordinateur",
    "partenaire": "partenaire",
    "autre": "autre",
}


def _not_eligible(event: Event, email: str, profile: Profile, known: bool) -> str:
    """Why staff could not register this person, and what to do if the person does belong to
    the audience (the service's reason speaks to the person, not to staff)."""
    roles = [r for r in _ROLE_OPTIONS if refusal(event.audience, Profile(r, True)) is None]
    who = (
        f"{ROLE_LABELS.get(profile.role, profile.role)}, "
        f"{'adhérente' if profile.member else 'non adhérente'}"
    )
    reason = f"« {event.title} » est {AUDIENCE_LABELS[event.audience]}"
    if known:
        fixes = []
        if not profile.member:
            fixes.append(f"« hub subscribers set {email} --member »")
        if profile.role not in roles:
            wanted = " ou ".join(_ROLE_OPTIONS[r] for r in roles)
            fixes.append(f"le rôle ({wanted}) par un import de sa ligne (colonne role)")
        return (
            f"{reason} ; la fiche de {email} (elle décide, pas les options) la dit {who}. "
            f"Si elle est fausse, corrigez-la puis relancez : {' et '.join(fixes)}"
        )
    flags = "--member"
    if len(roles) < len(_ROLE_OPTIONS):
        first, *others = (_ROLE_OPTIONS[r] for r in roles)
        flags += f" --role {first}" + (f" (ou {', '.join(others)})" if others else "")
    return f"{reason} ; personne nouvelle donnée comme {who}. Si elle en fait partie : {flags}"


@events_group.command("register")
@click.argument("event_ref", metavar="EVENT")
@click.argument("email")
@click.option("--first-name", default="", help="Prénom (personne nouvelle).")
@click.option("--last-name", default="", help="Nom (personne nouvelle).")
@click.option("--organisation", default="", help="CPTS ou organisation (personne nouvelle).")
@click.option(
    "--role",
    default="autre",
    help="salarié, élu, coordinateur (ou directeur…), partenaire ou autre (personne nouvelle ; "
    "par défaut : autre).",
)
@click.option("--member", is_flag=True, help="Adhérente (personne nouvelle).")
@click.option(
    "--answer",
    "answers",
    multiple=True,
    metavar="CLE=VALEUR",
    help="Réponse à une question de l'événement (répétable ; « hub events show » les liste).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def register_command(
    hub: HubContext,
    event_ref: str,
    email: str,
    first_name: str,
    last_name: str,
    organisation: str,
    role: str,
    member: bool,
    answers: tuple[str, ...],
    as_json: bool,
) -> None:
    """Inscrit une personne (EMAIL) à un événement (EVENT : identifiant ou slug).

    Une personne inconnue est enregistrée avec ce qui est donné (sans abonnement à une
    lettre) ; une personne connue garde sa fiche, dont le rôle et l'adhésion décident. L'équipe
    peut inscrire hors des dates d'inscription, jamais hors du public ni au-delà des places.

    La dernière ligne dit « confirmé », « liste d'attente (position N) » ou « refusé : motif ».
    Codes de sortie : 0 inscrit(e), 3 refusé (public, complet, annulé…), 2 erreur de saisie.
    """
    config = hub.config
    person = person_of_options(email, first_name, last_name, organisation, role, member)
    async with mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        given = _answers(answers, event)
        known = await events.people.find(email)
        try:
            registered = await events.register(
                event.id, person, source="cli", answers=given, staff=True
            )
        except NotEligible:
            who = known or person  # a stored person's own record decides, not the options
            profile = Profile(who.role, who.member)
            refuse(_not_eligible(event, email.strip(), profile, known is not None), as_json)
        except Refused as exc:
            hint = (
                f" ; « hub events publish {event.slug} » les ouvre"
                if event.status == "draft"
                else ""
            )
            refuse(f"{str(exc).rstrip('.')}{hint}" if hint else str(exc), as_json)
        except UserError as exc:
            if not event.questions:
                raise
            raise UserError(f"{exc} ; {_questions_hint(event)}") from None
        registration = registered.registration
        outcome = registration_state(
            registration.status, registration.position, registration.offer_expires_at, config.tz
        )
        if as_json:
            await deliver(events, messenger, err=True)
            print_json(
                {
                    "registration": json_value(config, dataclasses.asdict(registration)),
                    "created": registered.created,
                    "person_created": known is None,
                    "outcome": outcome,
                }
            )
            return
        if known is None:
            click.echo(f"Nouvelle personne enregistrée : {person.email} (sans abonnement).")
        else:
            click.echo(
                f"Personne connue : {known.email} ({ROLE_LABELS.get(known.role, known.role)}, "
                f"{'adhérente' if known.member else 'non adhérente'}) ; sa fiche est gardée."
            )
        if not registered.created:
            click.echo(f"Déjà inscrit(e) à « {event.title} » : rien de changé.")
        else:
            click.echo(f"Inscription à « {event.title} » enregistrée.")
            await deliver(events, messenger)
    click.echo(outcome)


@events_group.command("accept")
@click.argument("event_ref", metavar="EVENT")
@click.argument("email")
@pass_hub
@run_async
async def accept_command(hub: HubContext, event_ref: str, email: str) -> None:
    """Accepte pour une personne (EMAIL) la place qui lui est proposée (réponse par téléphone…).

    Codes de sortie : 0 place confirmée, 3 offre expirée ou absente, 2 erreur de saisie.
    """
    async with mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        row = await _registration_of(events, event, email)
        try:
            registration = await events.accept_offer(row.registration.id)
        except Refused as exc:
            refuse(str(exc), as_json=False)
        if row.status != "confirmed":
            await deliver(events, messenger)
    click.echo(REGISTRATION_LABELS[registration.status])


async def _registration_of(events: Events, event: Event, email: str) -> Registrant:
    wanted = email.strip().lower()
    for row in await events.registrations(event.id):
        if row.email == wanted:
            return row
    raise UserError(f"{email.strip()} n'est pas inscrit(e) à « {event.title} »")


@events_group.command("unregister")
@click.argument("event_ref", metavar="EVENT")
@click.argument("email")
@pass_hub
@run_async
async def unregister_command(hub: HubContext, event_ref: str, email: str) -> None:
    """Annule l'inscription d'une personne (EMAIL) ; sa place va aussitôt au suivant de la
    liste d'attente (donnée, ou proposée pour un temps limité selon l'événement)."""
    config = hub.config
    async with mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        cancelled = await events.unregister(event.id, email)
        if not cancelled.changed:
            click.echo(f"L'inscription de {email.strip()} était déjà annulée : rien à faire.")
            return
        click.echo(
            f"Inscription de {email.strip()} à « {event.title} » annulée "
            f"(elle était : {REGISTRATION_LABELS[cancelled.was]})."
        )
        for line in seat_moves(config, cancelled.promoted, cancelled.offered):
            click.echo(line)
        await deliver(events, messenger)
