"""`hub events`: the staff's side of events: create, publish, register people by hand, export
the registrations, remind, cancel, and erase the personal data of old events.

Every command that changes registrations delivers the e-mails it caused here and now (the
confirmation, the seat given to the next in line…), so staff see how many left.
"""

from __future__ import annotations

import csv
import dataclasses
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from hub.cli import HubContext, HubGroup, confirm, french_number, pass_hub, print_json, run_async
from hub.cli.subscribers import ROLE_LABELS
from hub.config import AUDIENCES, EVENT_MODES, WAITLIST_POLICIES, Config
from hub.errors import UserError
from hub.events.audience import Profile, refusal
from hub.events.mailer import deliver_pending
from hub.events.model import (
    REGISTRATION_STATUSES,
    SEATED,
    Event,
    EventChanges,
    EventNotFound,
    InvalidEvent,
    NotEligible,
    Refused,
    Registrant,
)
from hub.events.outcomes import SeatGiven
from hub.events.reminders import queue_reminder_now
from hub.events.service import Events, NewEvent
from hub.events.wording import (
    AUDIENCE_LABELS,
    EVENT_STATUS_LABELS,
    MODE_LABELS,
    REGISTRATION_LABELS,
    registration_state,
    seats_taken,
    waitlist_rule,
)
from hub.exports import append_xlsx_row, safe_cell
from hub.mail import Messenger
from hub.subscribers.importer import parse_role
from hub.subscribers.service import Person
from hub.timeutil import (
    DATETIME_EXAMPLE,
    french_datetime,
    parse_local_datetime,
)

if TYPE_CHECKING:
    from hub.services import HubServices

F = TypeVar("F", bound=Callable[..., Any])

# Exit code of `register` and `accept` when the service refuses (the reason is the last line);
# 2 stays a mistake in the command itself.
EXIT_REFUSED = 3

DATE_HELP = f'heure de Paris, « AAAA-MM-JJ HH:MM », ex. "{DATETIME_EXAMPLE}"'
EXPORT_FORMATS = ("csv", "xlsx")
SPREADSHEET_TIME = "%Y-%m-%d %H:%M"


@click.group("events", cls=HubGroup)
def events_group() -> None:
    """Événements : création, publication, inscriptions, listes d'attente, rappels, effacement."""


# --- shared pieces ----------------------------------------------------------------------------


# The option to fix for an `InvalidEvent`'s field, said after the service's message.
_FIELD_OPTIONS = {"venue": "--venue"}


@asynccontextmanager
async def _service(hub: HubContext) -> AsyncIterator[Events]:
    """The service; its errors about an event get the hint of this command line."""
    async with _services(hub) as services:
        yield services.events


@asynccontextmanager
async def _services(hub: HubContext) -> AsyncIterator[HubServices]:
    """The process's services; errors about an event get the hint of this command line."""
    async with hub.services() as services:
        try:
            yield services
        except EventNotFound as exc:
            raise UserError(f"{exc} ; `hub events list` donne les identifiants") from None
        except InvalidEvent as exc:
            option = _FIELD_OPTIONS.get(exc.field)
            if option is None:
                raise
            raise UserError(f"{exc} ({option})") from None


@asynccontextmanager
async def _mailing(hub: HubContext) -> AsyncIterator[tuple[Events, Messenger]]:
    """The service and the e-mail backend, made first: a missing secret stops the command
    before it changes anything."""
    async with _services(hub) as services:
        yield services.events, services.messenger


async def _deliver(events: Events, messenger: Messenger, *, err: bool = False) -> None:
    """Send the e-mails waiting (those this command caused, and any left behind) and say how
    many left (on stderr with `err`, when stdout is JSON)."""
    report = await deliver_pending(events.db, events.config, messenger)
    click.echo(f"E-mails envoyés : {french_number(report.sent)}", err=err)
    if report.skipped:
        click.echo(
            f"{french_number(report.skipped)} e-mail(s) devenu(s) sans objet, non envoyé(s) "
            "(inscription changée depuis, événement passé…).",
            err=err,
        )
    if report.failed:
        click.echo(
            f"{french_number(report.failed)} e-mail(s) refusé(s) par le service d'envoi ; "
            "le motif est dans les journaux.",
            err=True,
        )
    if report.in_doubt:
        click.echo(
            f"{french_number(report.in_doubt)} e-mail(s) peut-être reçu(s) (réponse du service "
            "d'envoi perdue) : ils ne seront pas renvoyés.",
            err=True,
        )


def _when(config: Config, text: str | None, option: str) -> datetime | None:
    return parse_local_datetime(text, config.tz, option) if text else None


def _local(config: Config, value: datetime | None) -> str:
    return french_datetime(value, config.tz) if value else "—"


def _place(event: Event) -> str:
    if event.online:
        return event.video_url or "lien de la visio à donner (--video-url)"
    return ", ".join(p for p in (event.venue, event.address) if p)


def _echo_event(config: Config, event: Event, counts: dict[str, int]) -> None:
    kind = config.event_kinds.get(event.kind)
    click.echo(
        f"Événement {event.id} : « {event.title} » ({kind.name if kind else event.kind}) — "
        f"{EVENT_STATUS_LABELS[event.status]}"
    )
    click.echo(f"  Du {_local(config, event.starts_at)} au {_local(config, event.ends_at)}")
    click.echo(f"  {MODE_LABELS[event.mode].capitalize()} : {_place(event)}")
    click.echo(f"  Public : {AUDIENCE_LABELS[event.audience]}")
    click.echo(
        f"  Places prises : {seats_taken(event, counts)} ; "
        f"liste d'attente : {french_number(counts.get('waitlisted', 0))} — {waitlist_rule(event)}"
    )


def _json_value(config: Config, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(config.tz).isoformat()
    if isinstance(value, dict):
        return {k: _json_value(config, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(config, v) for v in value]
    return value


def _event_json(config: Config, event: Event, counts: dict[str, int]) -> dict[str, Any]:
    """An event for scripts: every field, times in Paris with their offset, and the counts."""
    return {**_json_value(config, dataclasses.asdict(event)), "counts": counts}


def _event_options(func: F) -> F:
    """What `create` and `edit` both set (title, kind and dates apart)."""
    options = [
        click.option(
            "--mode",
            type=click.Choice(EVENT_MODES),
            help="online ou in-person (à la création, par défaut : celui du type).",
        ),
        click.option("--venue", help="Lieu (présentiel), ex. « Palais des congrès de Bordeaux »."),
        click.option("--address", help="Adresse du lieu (présentiel)."),
        click.option(
            "--video-url",
            help="Lien de la visio (en ligne) : donné aux seuls inscrits confirmés, jamais publié.",
        ),
        click.option(
            "--audience",
            type=click.Choice(AUDIENCES),
            help="Qui peut s'inscrire (à la création, par défaut : celui du type) : "
            + " ; ".join(f"{k} = {v}" for k, v in AUDIENCE_LABELS.items())
            + ".",
        ),
        click.option(
            "--capacity",
            type=click.IntRange(min=0),
            help="Nombre de places (0 : sans limite ; à la création, par défaut : celui du type).",
        ),
        click.option(
            "--waitlist",
            type=click.Choice(WAITLIST_POLICIES),
            help="Place libérée : auto (donnée au suivant), offer (proposée au suivant pendant "
            "--offer-hours heures), none (pas de liste d'attente).",
        ),
        click.option(
            "--offer-hours",
            type=click.IntRange(min=1),
            help="Durée d'une offre de place, en heures (à la création : celle du type).",
        ),
        click.option("--opens", help=f"Ouverture des inscriptions ({DATE_HELP})."),
        click.option(
            "--closes", help=f"Clôture des inscriptions (par défaut : le début ; {DATE_HELP})."
        ),
        click.option(
            "--description", help="Description (à la création, par défaut : celle du type)."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _moves(
    config: Config, promoted: Sequence[SeatGiven], offered: Sequence[SeatGiven]
) -> list[str]:
    """The seats the service has just given or offered from the waiting list."""
    lines = [f"Place donnée à {seat.email} (liste d'attente)" for seat in promoted]
    for seat in offered:
        expires = _local(config, seat.registration.offer_expires_at)
        lines.append(f"Place proposée à {seat.email} jusqu'au {expires}")
    return lines


def _refused(reason: str, as_json: bool) -> NoReturn:
    """End a command the service refused: the reason as the last line, exit code 3."""
    if as_json:
        print_json({"refused": reason})
    else:
        click.echo(f"refusé : {reason}")
    raise click.exceptions.Exit(EXIT_REFUSED)


# --- events -----------------------------------------------------------------------------------


@events_group.command("create")
@click.option("--title", required=True, help="Titre de l'événement.")
@click.option(
    "--kind",
    required=True,
    help="Type (clé de [event_kinds] dans la configuration : reunion-flash, rdv-cpts, "
    "rdv-com, rdv-elus, webinaire-partenaires, cafe-presentation, journee-industriels, "
    "tour-de-france, seminaire-coordinateurs, journees-nationales).",
)
@click.option("--start", required=True, help=f"Début ({DATE_HELP}).")
@click.option("--end", required=True, help=f"Fin ({DATE_HELP}).")
@_event_options
@click.option("--publish", is_flag=True, help="Publier tout de suite (sinon : brouillon).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (l'événement entier).")
@pass_hub
@run_async
async def create_command(
    hub: HubContext,
    title: str,
    kind: str,
    start: str,
    end: str,
    mode: str | None,
    venue: str | None,
    address: str | None,
    video_url: str | None,
    audience: str | None,
    capacity: int | None,
    waitlist: str | None,
    offer_hours: int | None,
    opens: str | None,
    closes: str | None,
    description: str | None,
    publish: bool,
    as_json: bool,
) -> None:
    """Crée un événement ; ce que l'on ne précise pas vient de son type (mode, public,
    places, liste d'attente, questions, rappels).

    La dernière ligne affichée est l'identifiant lisible (slug) de l'événement, seul.
    """
    config = hub.config
    new = NewEvent(
        title=title,
        kind=kind,
        starts_at=parse_local_datetime(start, config.tz, "--start"),
        ends_at=parse_local_datetime(end, config.tz, "--end"),
        description=description,
        mode=mode,
        video_url=video_url or "",
        venue=venue or "",
        address=address or "",
        audience=audience,
        capacity=capacity,
        waitlist=waitlist,
        offer_hours=offer_hours,
        opens_at=_when(config, opens, "--opens"),
        closes_at=_when(config, closes, "--closes"),
        publish=publish,
    )
    async with _service(hub) as events:
        event = await events.create(new)
    if as_json:
        print_json(_event_json(config, event, {}))
        return
    _echo_event(config, event, {})
    if event.questions:
        labels = ", ".join(f"« {q.label} »" for q in event.questions)
        click.echo(f"  Questions posées : {labels}")
    if event.status == "draft":
        click.echo(f"Brouillon : « hub events publish {event.slug} » ouvre les inscriptions.")
    click.echo(event.slug)


@events_group.command("edit")
@click.argument("event_ref", metavar="EVENT")
@click.option("--title", help="Nouveau titre.")
@click.option("--start", help=f"Nouveau début ({DATE_HELP}).")
@click.option("--end", help=f"Nouvelle fin ({DATE_HELP}).")
@_event_options
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (l'événement entier).")
@pass_hub
@run_async
async def edit_command(
    hub: HubContext,
    event_ref: str,
    title: str | None,
    start: str | None,
    end: str | None,
    mode: str | None,
    venue: str | None,
    address: str | None,
    video_url: str | None,
    audience: str | None,
    capacity: int | None,
    waitlist: str | None,
    offer_hours: int | None,
    opens: str | None,
    closes: str | None,
    description: str | None,
    as_json: bool,
) -> None:
    """Modifie un événement (EVENT : identifiant ou slug) ; seules les options données changent.

    Un changement d'horaire, de lieu ou de lien de visio envoie aux inscrits qui ont une place
    une invitation mise à jour ; des places en plus vont aussitôt à la liste d'attente.
    """
    config = hub.config
    changes = EventChanges(
        title=title,
        description=description,
        starts_at=_when(config, start, "--start"),
        ends_at=_when(config, end, "--end"),
        mode=mode,
        video_url=video_url,
        venue=venue,
        address=address,
        audience=audience,
        capacity=capacity,
        waitlist=waitlist,
        offer_hours=offer_hours,
        opens_at=_when(config, opens, "--opens"),
        closes_at=_when(config, closes, "--closes"),
    )
    if changes == EventChanges():
        raise UserError(
            "rien à modifier : donnez au moins une option (--title, --start, --venue, "
            "--capacity… ; voir « hub events edit --help »)"
        )
    async with _mailing(hub) as (events, messenger):
        edited = await events.edit(event_ref, changes)
        event = edited.event
        counts = await events.counts(event)
        moves = _moves(config, edited.promoted, edited.offered)
        told = edited.invitation_changed
        if as_json:
            await _deliver(events, messenger, err=True)
            print_json(_event_json(config, event, counts))
            return
        _echo_event(config, event, counts)
        if told:
            seated = sum(counts.get(s, 0) for s in SEATED)
            click.echo(
                f"Changement d'horaire ou de lieu : {french_number(seated)} personne(s) avec une "
                "place reçoivent une invitation mise à jour (même événement dans leur agenda)."
            )
        for line in moves:
            click.echo(line)
        await _deliver(events, messenger)


@events_group.command("publish")
@click.argument("event_ref", metavar="EVENT")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (l'événement entier).")
@pass_hub
@run_async
async def publish_command(hub: HubContext, event_ref: str, as_json: bool) -> None:
    """Publie un événement : il paraît sur le site et les inscriptions s'ouvrent."""
    config = hub.config
    async with _service(hub) as events:
        event = await events.publish(event_ref)
        counts = await events.counts(event)
    if as_json:
        print_json(_event_json(config, event, counts))
        return
    _echo_event(config, event, counts)
    if event.opens_at and event.opens_at > datetime.now(UTC):
        click.echo(f"Inscriptions ouvertes à partir du {_local(config, event.opens_at)}.")
    click.echo(f"Page d'inscription : {config.web.base_url.rstrip('/')}/evenements/{event.slug}")


@events_group.command("cancel")
@click.argument("event_ref", metavar="EVENT")
@click.option("--yes", is_flag=True, help="Annuler sans demander de confirmation.")
@pass_hub
@run_async
async def cancel_command(hub: HubContext, event_ref: str, yes: bool) -> None:
    """Annule un événement ; chaque inscrit (places et liste d'attente) est prévenu par
    e-mail, avec l'annulation de l'invitation dans son agenda."""
    config = hub.config
    async with _mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        if event.status == "cancelled":
            click.echo(f"« {event.title} » est déjà annulé : rien à faire.")
            return
        counts = await events.counts(event)
        told = sum(n for status, n in counts.items() if status != "cancelled")
        if not yes:
            confirm(
                f"Annuler « {event.title} » ({_local(config, event.starts_at)}) ? "
                f"{french_number(told)} personne(s) inscrite(s) seront prévenues par e-mail."
            )
        cancelled = await events.cancel(event.id)
        click.echo(
            f"« {cancelled.event.title} » est annulé ; "
            f"{french_number(cancelled.told)} personne(s) prévenue(s)."
        )
        await _deliver(events, messenger)


@events_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Aussi les événements passés.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def list_command(hub: HubContext, show_all: bool, as_json: bool) -> None:
    """Liste les événements à venir (ou tous) : date, titre, type, public, places prises,
    liste d'attente, état."""
    config = hub.config
    async with _service(hub) as events:
        found = [
            (e, await events.counts(e)) for e in await events.list_events(upcoming=not show_all)
        ]
    if as_json:
        print_json([_event_json(config, e, c) for e, c in found])
        return
    if not found:
        click.echo("Aucun événement à venir." if not show_all else "Aucun événement.")
        return
    for event, counts in found:
        kind = config.event_kinds.get(event.kind)
        click.echo(
            f"{event.id:>4}  {_local(config, event.starts_at)} — « {event.title} » "
            f"({kind.name if kind else event.kind}) — {AUDIENCE_LABELS[event.audience]} — "
            f"places {seats_taken(event, counts)}, "
            f"{french_number(counts.get('waitlisted', 0))} en attente — "
            f"{EVENT_STATUS_LABELS[event.status]} — {event.slug}"
        )


@events_group.command("show")
@click.argument("event_ref", metavar="EVENT")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (tout l'événement).")
@pass_hub
@run_async
async def show_command(hub: HubContext, event_ref: str, as_json: bool) -> None:
    """Montre tout d'un événement : dates, lieu, public, places, questions, inscrits par état."""
    config = hub.config
    async with _service(hub) as events:
        event = await events.get(event_ref)
        counts = await events.counts(event)
    if as_json:
        print_json(_event_json(config, event, counts))
        return
    _echo_event(config, event, counts)
    click.echo(f"  Identifiant lisible : {event.slug}")
    if event.description:
        click.echo(f"  Description : {event.description}")
    opens = f"du {_local(config, event.opens_at)}" if event.opens_at else "dès la publication"
    closes = _local(config, event.closes_at or event.starts_at)
    click.echo(f"  Inscriptions : {opens} jusqu'au {closes}")
    reminders = ", ".join(_minutes(m) for m in event.reminders_minutes) or "aucun"
    click.echo(f"  Rappels : {reminders}")
    click.echo(f"  Questions ({len(event.questions)}) :")
    for question in event.questions:
        details = ["obligatoire" if question.required else "facultative"]
        if question.kind == "choice":
            details.append("choix : " + " / ".join(question.choices))
        click.echo(
            f"    {question.key} : « {question.label} » ({', '.join(details)}) — "
            f"--answer {question.key}=…"
        )
    click.echo("  Inscriptions par état :")
    for status in REGISTRATION_STATUSES:
        click.echo(f"    {REGISTRATION_LABELS[status]} : {french_number(counts.get(status, 0))}")
    click.echo(
        f"  Invitation : UID {event.ics_uid}, version {event.ics_sequence} ; créé le "
        f"{_local(config, event.created_at)}, modifié le {_local(config, event.updated_at)}"
    )
    if event.purged_at:
        click.echo(
            f"  Données personnelles des inscrits effacées le {_local(config, event.purged_at)} "
            "(seuls les chiffres restent)."
        )


def _minutes(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    if not rest:
        return f"{days} jour(s) avant"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h avant" if not rest else f"{minutes} min avant"


# --- registrations ----------------------------------------------------------------------------


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
    role_key = parse_role(role)
    if role_key is None:
        raise UserError(
            f"--role : rôle inconnu « {role} » ; rôles possibles : salarié, élu, coordinateur, "
            "partenaire, autre"
        )
    person = Person(email, first_name, last_name, organisation, role_key, member)
    async with _mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        given = _answers(answers, event)
        known = await events.people.find(email)
        try:
            registered = await events.register(
                event.id, person, source="cli", answers=given, staff=True
            )
        except NotEligible:
            profile = Profile(known.role, known.member) if known else Profile(role_key, member)
            _refused(_not_eligible(event, email.strip(), profile, known is not None), as_json)
        except Refused as exc:
            hint = (
                f" ; « hub events publish {event.slug} » les ouvre"
                if event.status == "draft"
                else ""
            )
            _refused(f"{str(exc).rstrip('.')}{hint}" if hint else str(exc), as_json)
        except UserError as exc:
            if not event.questions:
                raise
            raise UserError(f"{exc} ; {_questions_hint(event)}") from None
        registration = registered.registration
        outcome = registration_state(
            registration.status, registration.position, registration.offer_expires_at, config.tz
        )
        if as_json:
            await _deliver(events, messenger, err=True)
            print_json(
                {
                    "registration": _json_value(config, dataclasses.asdict(registration)),
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
            await _deliver(events, messenger)
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
    async with _mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        row = await _registration_of(events, event, email)
        try:
            registration = await events.accept_offer(row.registration.id)
        except Refused as exc:
            _refused(str(exc), as_json=False)
        if row.status != "confirmed":
            await _deliver(events, messenger)
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
    async with _mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        cancelled = await events.unregister(event.id, email)
        if not cancelled.changed:
            click.echo(f"L'inscription de {email.strip()} était déjà annulée : rien à faire.")
            return
        click.echo(
            f"Inscription de {email.strip()} à « {event.title} » annulée "
            f"(elle était : {REGISTRATION_LABELS[cancelled.was]})."
        )
        for line in _moves(config, cancelled.promoted, cancelled.offered):
            click.echo(line)
        await _deliver(events, messenger)


def _spreadsheet(
    config: Config, event: Event, rows: Iterable[Registrant]
) -> tuple[list[str], list[list[Any]]]:
    """The registrations as a table: person, status, position, registration time (Paris,
    naive), then one column per question headed by its label (answers to questions removed
    since follow, headed by their key)."""
    rows = list(rows)
    keys = [q.key for q in event.questions]
    keys += sorted({k for row in rows for k in row.registration.answers} - set(keys))
    labels = {q.key: q.label for q in event.questions}
    headers = [
        "E-mail",
        "Prénom",
        "Nom",
        "Organisation",
        "Rôle",
        "Adhérent(e)",
        "Statut",
        "Position en liste d'attente",
        "Inscrit(e) le",
        "Canal",
        *(labels.get(k, k) for k in keys),
    ]
    table = []
    for row in rows:
        registered = row.registration.created_at
        table.append(
            [
                row.email,
                row.first_name,
                row.last_name,
                row.organisation,
                ROLE_LABELS.get(row.role, row.role),
                "oui" if row.member else "non",
                REGISTRATION_LABELS[row.status],
                row.position,
                registered.astimezone(config.tz).replace(tzinfo=None),
                row.registration.source,
                *(row.registration.answers.get(k, "") for k in keys),
            ]
        )
    return headers, table


def _write_csv(file: Any, headers: list[str], table: list[list[Any]]) -> None:
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in headers])
    for line in table:
        writer.writerow(
            [
                v.strftime(SPREADSHEET_TIME)
                if isinstance(v, datetime)
                else ("" if v is None else safe_cell(v))
                for v in line
            ]
        )


def _write_xlsx(path: Path, title: str, headers: list[str], table: list[list[Any]]) -> None:
    # Imported here: openpyxl takes a third of a second to load, which every `hub` command
    # would pay otherwise.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Inscriptions"
    append_xlsx_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in table:
        append_xlsx_row(sheet, line)
    time_column = headers.index("Inscrit(e) le") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=time_column, max_col=time_column):
        cell.number_format = "dd/mm/yyyy hh:mm"
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    book.properties.title = title
    book.save(path)


@events_group.command("registrations")
@click.argument("event_ref", metavar="EVENT")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="csv",
    show_default=True,
    help="csv (sortie standard ou --out) ou xlsx (demande --out).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier à écrire (CSV en UTF-8 avec BOM, pour Excel).",
)
@click.option(
    "--status",
    type=click.Choice([*REGISTRATION_STATUSES, "all"]),
    help="Seulement les inscriptions dans cet état (par défaut : toutes sauf les annulées ; "
    "all : toutes).",
)
@pass_hub
@run_async
async def registrations_command(
    hub: HubContext, event_ref: str, fmt: str, out: Path | None, status: str | None
) -> None:
    """Exporte les inscriptions d'un événement : personne, statut, position en liste
    d'attente, date d'inscription (heure de Paris), une colonne par question."""
    config = hub.config
    if fmt == "xlsx" and out is None:
        raise UserError("--format xlsx écrit un fichier : ajoutez --out inscriptions.xlsx")
    async with _service(hub) as events:
        event = await events.get(event_ref)
        rows = await events.registrations(event.id)
    if status != "all":
        rows = [r for r in rows if r.status == status or (not status and r.status != "cancelled")]
    if event.purged_at:
        click.echo(
            f"Les données des inscrits ont été effacées le {_local(config, event.purged_at)} ; "
            "« hub events show » donne les chiffres gardés.",
            err=True,
        )
    headers, table = _spreadsheet(config, event, rows)
    if out is None:
        _write_csv(sys.stdout, headers, table)
        return
    try:
        if fmt == "xlsx":
            _write_xlsx(out, event.title, headers, table)
        else:
            with out.open("w", encoding="utf-8-sig", newline="") as file:  # BOM: Excel
                _write_csv(file, headers, table)
    except OSError as exc:
        raise UserError(f"{out} : écriture impossible ({exc.strerror})") from None
    click.echo(f"{french_number(len(table))} inscription(s) de « {event.title} » exportée(s) :")
    click.echo(str(out))


@events_group.command("remind")
@click.argument("event_ref", metavar="EVENT")
@click.option("--yes", is_flag=True, help="Envoyer sans demander de confirmation.")
@pass_hub
@run_async
async def remind_command(hub: HubContext, event_ref: str, yes: bool) -> None:
    """Envoie tout de suite un rappel à chaque inscrit confirmé (avec le lien de la visio pour
    un événement en ligne), en plus des rappels programmés."""
    config = hub.config
    async with _mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        seated = (await events.counts(event)).get("confirmed", 0)
        if not seated:
            click.echo(f"Personne n'a de place confirmée à « {event.title} » : aucun rappel.")
            return
        if not yes:
            confirm(
                f"Envoyer maintenant un rappel de « {event.title} » "
                f"({_local(config, event.starts_at)}) à {french_number(seated)} personne(s) ?"
            )
        queued = await queue_reminder_now(events.db, event.id)
        click.echo(f"Rappel de « {event.title} » : {french_number(queued)} destinataire(s).")
        await _deliver(events, messenger)


@events_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Montrer ce qui serait effacé, sans rien effacer.")
@click.option("--yes", is_flag=True, help="Effacer sans demander de confirmation.")
@pass_hub
@run_async
async def purge_command(hub: HubContext, dry_run: bool, yes: bool) -> None:
    """Efface les données personnelles des inscriptions (réponses comprises) des événements
    terminés depuis plus de [events].purge_after_months mois ; seuls des chiffres anonymes
    restent. « hub run » le fait chaque jour."""
    config = hub.config
    months = config.events.purge_after_months
    now = datetime.now(UTC)
    async with _service(hub) as events:
        due = await events.purgeable(now=now)
        if not due:
            click.echo(f"Aucun événement terminé depuis plus de {months} mois à effacer.")
            return
        click.echo(f"Événements terminés depuis plus de {months} mois :")
        for event in due:
            counts = await events.counts(event)
            click.echo(
                f"  « {event.title} » ({_local(config, event.starts_at)}) : "
                f"{french_number(sum(counts.values()))} inscription(s)"
            )
        if dry_run:
            click.echo("Simulation : rien n'a été effacé.")
            return
        if not yes:
            confirm(f"Effacer les données personnelles des inscrits de {len(due)} événement(s) ?")
        report = await events.purge(now=now)
    click.echo(
        f"Effacé : {french_number(report.registrations)} inscription(s) de "
        f"{french_number(report.events)} événement(s), et {french_number(report.people)} "
        "personne(s) connue(s) seulement par elles. Les chiffres restent."
    )


def setup(cli: click.Group) -> None:
    cli.add_command(events_group)
