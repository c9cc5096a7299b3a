"""`hub events list` and `hub events show`: the events, and everything about one."""

from __future__ import annotations

import click

from hub.cli import HubContext, pass_hub, print_json, run_async
from hub.cli.events.shared import (
    echo_event,
    event_json,
    event_service,
    events_group,
    paris_time,
)
from hub.events.model import (
    REGISTRATION_STATUSES,
)
from hub.events.wording import (
    AUDIENCE_LABELS,
    EVENT_STATUS_LABELS,
    REGISTRATION_LABELS,
    seats_taken,
)
from hub.wording import french_number


@events_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Aussi les événements passés.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def list_command(hub: HubContext, show_all: bool, as_json: bool) -> None:
    """Liste les événements à venir (ou tous) : date, titre, type, public, places prises,
    liste d'attente, état."""
    config = hub.config
    async with event_service(hub) as events:
        found = [
            (e, await events.counts(e)) for e in await events.list_events(upcoming=not show_all)
        ]
    if as_json:
        print_json([event_json(config, e, c) for e, c in found])
        return
    if not found:
        click.echo("Aucun événement à venir." if not show_all else "Aucun événement.")
        return
    for event, counts in found:
        kind = config.event_kinds.get(event.kind)
        click.echo(
            f"{event.id:>4}  {paris_time(config, event.starts_at)} — « {event.title} » "
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
    async with event_service(hub) as events:
        event = await events.get(event_ref)
        counts = await events.counts(event)
    if as_json:
        print_json(event_json(config, event, counts))
        return
    echo_event(config, event, counts)
    click.echo(f"  Identifiant lisible : {event.slug}")
    if event.description:
        click.echo(f"  Description : {event.description}")
    opens = f"du {paris_time(config, event.opens_at)}" if event.opens_at else "dès la publication"
    closes = paris_time(config, event.closes_at or event.starts_at)
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
        f"{paris_time(config, event.created_at)}, modifié le {paris_time(config, event.updated_at)}"
    )
    if event.purged_at:
        click.echo(
            "  Données personnelles des inscrits effacées le "
            f"{paris_time(config, event.purged_at)} (seuls les chiffres restent)."
        )


def _minutes(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    if not rest:
        return f"{days} jour(s) avant"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h avant" if not rest else f"{minutes} min avant"
