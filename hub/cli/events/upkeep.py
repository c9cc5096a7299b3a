"""`hub events remind` and `hub events purge`: a reminder now, and the erasure of old
events' personal data."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from hub.cli import HubContext, confirm, pass_hub, run_async
from hub.cli.events.shared import (
    deliver,
    event_service,
    events_group,
    mailing,
    paris_time,
)
from hub.events.reminders import queue_reminder_now
from hub.wording import french_number


@events_group.command("remind")
@click.argument("event_ref", metavar="EVENT")
@click.option("--yes", is_flag=True, help="Envoyer sans demander de confirmation.")
@pass_hub
@run_async
async def remind_command(hub: HubContext, event_ref: str, yes: bool) -> None:
    """Envoie tout de suite un rappel à chaque inscrit confirmé (avec le lien de la visio pour
    un événement en ligne), en plus des rappels programmés."""
    config = hub.config
    async with mailing(hub) as (events, messenger):
        event = await events.get(event_ref)
        seated = (await events.counts(event)).get("confirmed", 0)
        if not seated:
            click.echo(f"Personne n'a de place confirmée à « {event.title} » : aucun rappel.")
            return
        if not yes:
            confirm(
                f"Envoyer maintenant un rappel de « {event.title} » "
                f"({paris_time(config, event.starts_at)}) à {french_number(seated)} personne(s) ?"
            )
        queued = await queue_reminder_now(events.db, event.id)
        click.echo(f"Rappel de « {event.title} » : {french_number(queued)} destinataire(s).")
        await deliver(events, messenger)


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
    async with event_service(hub) as events:
        due = await events.purgeable(now=now)
        if not due:
            click.echo(f"Aucun événement terminé depuis plus de {months} mois à effacer.")
            return
        click.echo(f"Événements terminés depuis plus de {months} mois :")
        for event in due:
            counts = await events.counts(event)
            click.echo(
                f"  « {event.title} » ({paris_time(config, event.starts_at)}) : "
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
