"""`hub demo`: the whole pipeline on the shipped sample feed, for a newcomer: the federation's
events with demo registrations, four issues rendered and archived (their agenda from those
events), demo subscribers, and the bimonthly issue sent through the outbox.

It works in a sandbox of its own (`<data_dir>/demo`, recreated at each run), so it never
touches the real archive or uses up the real editions' numbers.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime

import click

from hub.cli import HubCommand, HubContext, pass_hub, print_json, run_async
from hub.cli.demo_events import create_demo_events
from hub.config import SAMPLE_FEED, Config, FeedSource
from hub.events.mailer import deliver_pending
from hub.mail.folders import outbox_folder
from hub.mail.outbox import TRANSACTIONAL_FOLDER
from hub.subscribers.service import Consent, Person
from newsletters.fetch import pull_configured
from newsletters.pipeline import draft_next_issue, publish_draft

# The sample feed holds the federation's news since mid-2025: the demo takes all of it, so it
# shows full issues on any day (each edition's sections keep only their newest items).
DEMO_SINCE = datetime.fromisoformat("2025-01-01T00:00:00+01:00")


DEMO_FIRST_NAMES = ("Camille", "Julien", "Sophie", "Karim", "Élodie", "Thomas", "Nadia", "Luc")
DEMO_LAST_NAMES = ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Garcia", "Roux", "Petit")
DEMO_CPTS = ("CPTS du Grand Jonzac", "CPTS Bordeaux Rive Droite", "CPTS Val de Loire", "")
DEMO_SUBSCRIBERS = 24


def demo_config(config: Config) -> Config:
    """The configuration with its data in the demo sandbox, the sample feed as only feed, and
    the outbox as the only backend (the demo never mails anyone)."""
    return dataclasses.replace(
        config,
        data_dir=config.data_dir / "demo",
        feeds=dataclasses.replace(config.feeds, sources=[FeedSource("exemple", str(SAMPLE_FEED))]),
        mail=dataclasses.replace(config.mail, backend="outbox"),
    )


def demo_people() -> list[Person]:
    """Demo subscribers on example.org (a domain reserved for examples: nobody gets mail)."""
    people = []
    for i in range(DEMO_SUBSCRIBERS):
        first = DEMO_FIRST_NAMES[i % len(DEMO_FIRST_NAMES)]
        last = DEMO_LAST_NAMES[(i // len(DEMO_FIRST_NAMES)) % len(DEMO_LAST_NAMES)]
        people.append(
            Person(
                email=f"{first}.{last}{i}@example.org".lower().replace("é", "e"),
                first_name=first,
                last_name=last,
                organisation=DEMO_CPTS[i % len(DEMO_CPTS)],
                role=("salarie", "elu", "coordinateur", "partenaire")[i % 4],
                member=bool(DEMO_CPTS[i % len(DEMO_CPTS)]),
            )
        )
    return people


@click.command("demo", cls=HubCommand)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def demo_command(hub: HubContext, as_json: bool) -> None:
    """Compose et rend un numéro de chaque édition à partir du flux d'exemple.

    Tout se passe dans un bac à sable (dossier demo/ des données), refait à chaque lancement.
    """
    config = demo_config(hub.config)
    shutil.rmtree(config.data_dir, ignore_errors=True)
    results = []
    people = demo_people()
    from hub.services import HubServices  # here: `hub --help` does not pay for it

    # The demo's own configuration (its sandbox): the same composition root as `hub.services()`.
    async with HubServices.open(config) as services:
        db = services.db
        agenda = await create_demo_events(services.events, people, datetime.now(config.tz).date())
        report = await pull_configured(db, config)
        for edition in config.editions:
            _, draft = await draft_next_issue(db, config, edition, since=DEMO_SINCE)
            results.append((await publish_draft(db, config, draft), draft))
        subscribers = services.subscribers
        consent = Consent("cli", "Abonné de démonstration", config.subscriptions.consent_version)
        await subscribers.subscribe_many(people, ["bimestrielle"], consent, confirmed=True)
        members = [p for p in people if p.member]
        member_lists = [key for key, item in config.lists.items() if item.members_only]
        await subscribers.subscribe_many(members, member_lists, consent, confirmed=True)
        bimestrielle_draft = next(d for p, d in results if p.issue.edition == "bimestrielle")
        campaign = await services.campaigns.create(bimestrielle_draft)
        progress = await services.campaigns.sender().start(campaign.id)
        event_mail = await deliver_pending(
            db, config, services.messenger, events=services.events, people=services.subscribers
        )
        campaign = await services.campaigns.get(campaign.id)
    folder = outbox_folder(config) / str(campaign.id)
    written = len(list(folder.glob("*.eml")))

    if as_json:
        print_json(
            {
                "data_dir": str(config.data_dir),
                "issues": [p.to_json() for p, _ in results],
                "subscribers": len(people),
                "events": {
                    "created": agenda.created,
                    "registrations": dict(agenda.registrations),
                    "emails_sent": event_mail.sent,
                    "outbox": str(outbox_folder(config) / TRANSACTIONAL_FOLDER),
                },
                "campaign": {**campaign.to_json(), "progress": progress.to_json()},
                "outbox": str(folder),
                "files_written": written,
            }
        )
        return
    (feed,) = report.feeds
    click.echo(f"Flux d'exemple : {feed.new} articles")
    for published, draft in results:
        issue = published.issue
        click.echo(f"{config.editions[issue.edition].name} n°{issue.number} : {published.files[0]}")
        click.echo(f"    brouillon modifiable : {draft}")
    click.echo("")
    click.echo(f"Événements créés : {len(agenda.created)}")
    for title in agenda.created:
        click.echo(f"    {title}")
    counts = agenda.registrations
    click.echo(
        f"Inscriptions de démonstration : {counts['confirmed']} confirmées, "
        f"{counts['waitlisted']} en liste d'attente, {counts['refused']} refusées, par exemple :"
    )
    click.echo(f"    {agenda.refusal}")
    click.echo(
        f"E-mails d'inscription (avec l'invitation .ics) : {event_mail.sent}, dans "
        f"{outbox_folder(config) / TRANSACTIONAL_FOLDER}"
    )
    click.echo("")
    click.echo(f"Abonnés de démonstration : {len(people)} (dont {len(members)} adhérents)")
    click.echo(
        f"Campagne {campaign.id} « {campaign.subject} » envoyée dans la boîte d'envoi locale :"
    )
    click.echo(f"    {folder}")
    click.echo(
        f"Destinataires : {progress.audience}, acceptés : {progress.accepted}, "
        f"fichiers écrits : {written}"
    )
    click.echo("")
    click.echo("Pour parcourir ces archives dans le navigateur :")
    click.echo(f"    HUB_DATA_DIR={config.data_dir} .venv/bin/hub run")
    click.echo(f"puis ouvrez {config.web.base_url}/archives/")


def setup(cli: click.Group) -> None:
    cli.add_command(demo_command)
