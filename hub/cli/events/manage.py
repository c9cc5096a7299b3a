"""`hub events create`, `edit`, `publish` and `cancel`: an event's life, as staff drive it."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from hub.cli import HubContext, confirm, pass_hub, print_json, run_async
from hub.cli.events.shared import (
    DATE_HELP,
    F,
    deliver,
    echo_event,
    event_json,
    event_service,
    events_group,
    mailing,
    optional_time,
    paris_time,
    seat_moves,
)
from hub.config import AUDIENCES, EVENT_MODES, WAITLIST_POLICIES
from hub.errors import UserError
from hub.events.model import (
    EventChanges,
    seats_held,
)
from hub.events.service import NewEvent
from hub.events.wording import (
    AUDIENCE_LABELS,
)
from hub.timeutil import (
    parse_local_datetime,
)
from hub.wording import french_number


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
        opens_at=optional_time(config, opens, "--opens"),
        closes_at=optional_time(config, closes, "--closes"),
        publish=publish,
    )
    async with event_service(hub) as events:
        event = await events.create(new)
    if as_json:
        print_json(event_json(config, event, {}))
        return
    echo_event(config, event, {})
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
        starts_at=optional_time(config, start, "--start"),
        ends_at=optional_time(config, end, "--end"),
        mode=mode,
        video_url=video_url,
        venue=venue,
        address=address,
        audience=audience,
        capacity=capacity,
        waitlist=waitlist,
        offer_hours=offer_hours,
        opens_at=optional_time(config, opens, "--opens"),
        closes_at=optional_time(config, closes, "--closes"),
    )
    if changes == EventChanges():
        raise UserError(
            "rien à modifier : donnez au moins une option (--title, --start, --venue, "
            "--capacity… ; voir « hub events edit --help »)"
        )
    async with mailing(hub) as (events, messenger):
        edited = await events.edit(event_ref, changes)
        event = edited.event
        counts = await events.counts(event)
        moves = seat_moves(config, edited.promoted, edited.offered)
        told = edited.invitation_changed
        if as_json:
            await deliver(events, messenger, err=True)
            print_json(event_json(config, event, counts))
            return
        echo_event(config, event, counts)
        if told:
            seated = seats_held(counts)
            click.echo(
                f"Changement d'horaire ou de lieu : {french_number(seated)} personne(s) avec une "
                "place reçoivent une invitation mise à jour (même événement dans leur agenda)."
            )
        for line in moves:
            click.echo(line)
        await deliver(events, messenger)


@events_group.command("publish")
@click.argument("event_ref", metavar="EVENT")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (l'événement entier).")
@pass_hub
@run_async
async def publish_command(hub: HubContext, event_ref: str, as_json: bool) -> None:
    """Publie un événement : il paraît sur le site et les inscriptions s'ouvrent."""
    config = hub.config
    async with event_service(hub) as events:
        event = await events.publish(event_ref)
        counts = await events.counts(event)
    if as_json:
        print_json(event_json(config, event, counts))
        return
    echo_event(config, event, counts)
    if event.opens_at and event.opens_at > datetime.now(UTC):
        click.echo(f"Inscriptions ouvertes à partir du {paris_time(config, event.opens_at)}.")
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
    async with mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        if event.status == "cancelled":
            click.echo(f"« {event.title} » est déjà annulé : rien à faire.")
            return
        counts = await events.counts(event)
        told = sum(n for status, n in counts.items() if status != "cancelled")
        if not yes:
            confirm(
                f"Annuler « {event.title} » ({paris_time(config, event.starts_at)}) ? "
                f"{french_number(told)} personne(s) inscrite(s) seront prévenues par e-mail."
            )
        cancelled = await events.cancel(event.id)
        click.echo(
            f"« {cancelled.event.title} » est annulé ; "
            f"{french_number(cancelled.told)} personne(s) prévenue(s)."
        )
        await deliver(events, messenger)
