"""What `hub campaign` prints about a campaign: its state, its progress, a dry run of one
that will not leave again, the command that helps after an error. Kept apart so the commands
module stays about the commands."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from hub.campaigns.errors import (
    CampaignAlreadySent,
    CampaignBusy,
    CampaignError,
    CampaignNotFound,
    CampaignWrongStatus,
    ScheduledInThePast,
)
from hub.campaigns.model import Campaign, Progress
from hub.campaigns.sender import owner_alive, read_progress
from hub.cli import print_json
from hub.config import Config
from hub.db import Database
from hub.timeutil import example_datetime, french_datetime


def echo_campaign(campaign: Campaign, config: Config) -> None:
    click.echo(
        f"Campagne {campaign.id} : « {campaign.subject} » "
        f"({config.editions[campaign.edition].name} n°{campaign.issue_number}) "
        f"→ liste {campaign.list} — {campaign.status_label}"
    )
    if campaign.scheduled_at and campaign.status == "scheduled":
        click.echo(f"  Programmée le {french_datetime(campaign.scheduled_at, config.tz)}")
    if campaign.started_at:
        click.echo(f"  Partie le {french_datetime(campaign.started_at, config.tz)}")
    if campaign.finished_at:
        click.echo(f"  Terminée le {french_datetime(campaign.finished_at, config.tz)}")
    if interrupted(campaign):
        echo_interrupted(campaign)


def interrupted(campaign: Campaign) -> bool:
    """Sending, but nobody sends it: its process stopped (crash, or its lease ran out)."""
    return campaign.status == "sending" and not owner_alive(
        campaign.owner, campaign.lease_until, datetime.now(UTC)
    )


def echo_interrupted(campaign: Campaign) -> None:
    click.echo(
        f"  L'envoi est interrompu (processus arrêté) : « hub campaign resume {campaign.id} » "
        "le reprend, ou « hub run » au démarrage"
    )


def echo_progress(campaign_id: int, progress: Progress) -> None:
    click.echo(
        f"Destinataires : {progress.audience} — acceptés : {progress.accepted}, "
        f"échecs : {progress.failed}, ignorés (désinscrits entre-temps) : {progress.skipped}, "
        f"restants : {progress.pending}"
    )
    for batch in progress.in_doubt:
        why = batch.reason or "l'envoi a été interrompu pendant l'appel au fournisseur"
        click.echo(
            f"En doute : lot n°{batch.seq} ({batch.recipients} destinataires) : {why} ; ces "
            "personnes l'ont peut-être reçu. Pour le leur renvoyer quand même : "
            f"hub campaign retry {campaign_id} --in-doubt",
            err=True,
        )


async def dry_run_of_a_campaign_gone(
    db: Database, config: Config, campaign: Campaign, as_json: bool
) -> None:
    """What `send` would do with a campaign already sent (or sending, paused, cancelled): not
    send it; say so, with what it reached, rather than count a list it will never go to."""
    progress = await read_progress(db, campaign.id)
    if as_json:
        print_json({**campaign.to_json(), "progress": progress.to_json(), "dry_run": True})
        return
    if campaign.status == "sent":
        when = french_datetime(campaign.finished_at, config.tz) if campaign.finished_at else ""
        click.echo(
            f"La campagne {campaign.id} (« {campaign.subject} ») a déjà été envoyée"
            f"{f' le {when}' if when else ''}, à {progress.audience} destinataire(s) "
            f"(acceptés : {progress.accepted}, échecs : {progress.failed}) : « send » ne la "
            "renverra pas. Rien n'a été envoyé."
        )
    else:
        click.echo(
            f"La campagne {campaign.id} (« {campaign.subject} ») est {campaign.status_label} : "
            "« send » ne la lancera pas (voir « hub campaign resume » ou « hub campaign "
            "retry »). Rien n'a été envoyé."
        )


STAT_LABELS = {
    "audience": "Destinataires",
    "accepted": "Acceptés par le fournisseur",
    "delivered": "Délivrés",
    "unique_opens": "Ouvertures (uniques)",
    "unique_clicks": "Clics (uniques)",
    "bounces": "Rejets (bounces)",
    "spam_reports": "Signalements comme spam",
    "unsubscriptions": "Désinscriptions",
    "failed": "Échecs d'envoi",
    "skipped": "Ignorés (désinscrits pendant l'envoi)",
}


def cli_message(exc: CampaignError) -> str:
    """The campaign error's message, with the command that helps where one does (the domain's
    messages name no command: another channel would offer its own way)."""
    match exc:
        case CampaignNotFound():
            return f"{exc} (« hub campaign list » les montre toutes)"
        case CampaignWrongStatus(action="start"):
            return f"{exc} (voir « hub campaign resume » ou « hub campaign retry »)"
        case CampaignBusy():
            return f"{exc}, ou « hub campaign pause {exc.campaign_id} »"
        case CampaignAlreadySent(campaign_id=int() as refused):
            return (
                f"{exc}. Pour continuer celle qui l'envoie : « hub campaign resume "
                f"{exc.sent_by} » (en pause ou interrompue) ou « hub campaign retry "
                f"{exc.sent_by} » (échecs) ; « hub campaign cancel {refused} » retire celle-ci"
            )
        case ScheduledInThePast():
            example = example_datetime(exc.local.tzinfo)
            return f'--at : {exc}, heure de Paris, par exemple "{example}"'
    return str(exc)
