"""`hub campaign`: create, test, schedule and send campaigns, and follow them."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.campaigns.errors import CampaignError
from hub.campaigns.model import Campaign, Progress
from hub.cli import (
    HubContext,
    HubGroup,
    confirm,
    pass_hub,
    print_json,
    run_async,
)
from hub.cli.campaign_display import (
    STAT_LABELS,
    cli_message,
    dry_run_of_a_campaign_gone,
    echo_campaign,
    echo_interrupted,
    echo_progress,
    interrupted,
)
from hub.errors import UserError
from hub.subscribers.service import normalise_email
from hub.timeutil import parse_local_datetime
from hub.wording import french_number

if TYPE_CHECKING:
    from hub.services import HubServices

STATUS_POLL_SECONDS = 0.5


class _CampaignHints(click.Group):
    """Gives a campaign error raised below its command-line hint (`cli_message`) before
    `HubGroup`, which comes first in `CampaignGroup`'s method order, prints it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as exc:
            raise UserError(cli_message(exc)) from exc


class CampaignGroup(HubGroup, _CampaignHints):
    """`HubGroup` (its invoke calls `_CampaignHints.invoke`, which calls click's)."""


@click.group("campaign", cls=CampaignGroup)
def campaign_group() -> None:
    """Campagnes : un numéro envoyé à une liste, une fois par personne."""


@campaign_group.command("create")
@click.option(
    "--draft",
    "draft",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Brouillon du numéro (fichier Markdown de « hub newsletter draft »).",
)
@click.option("--list", "list_key", help="Liste destinataire (par défaut celle de l'édition).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (la campagne entière).")
@pass_hub
@run_async
async def create_command(hub: HubContext, draft: Path, list_key: str | None, as_json: bool) -> None:
    """Crée une campagne : rend le brouillon une fois et le garde tel quel pour l'envoi.

    La dernière ligne affichée est le numéro de la campagne, seul.
    """
    config = hub.config
    async with hub.services() as services:
        campaign = await services.campaigns.create(draft, list_key)
        audience = await services.campaigns.audience_size(campaign.list)
    if as_json:
        print_json({**campaign.to_json(), "audience": audience})
        return
    echo_campaign(campaign, config)
    click.echo(f"  Audience actuelle : {audience} abonné(s) confirmé(s)")
    if not audience:
        click.echo(
            f"  Attention : la liste {campaign.list} n'a aucun abonné confirmé ; l'envoi sera "
            "refusé tant qu'elle restera vide (l'essai reste possible)"
        )
    click.echo("Prochaines étapes :")
    click.echo(f"  essai : hub campaign test {campaign.id} --to VOUS@EXEMPLE.FR")
    click.echo(
        f'  puis envoi programmé : hub campaign schedule {campaign.id} --at "AAAA-MM-JJ HH:MM"'
    )
    click.echo(f"  ou envoi immédiat : hub campaign send {campaign.id}")
    click.echo(str(campaign.id))


@campaign_group.command("test")
@click.argument("campaign_id", type=int)
@click.option("--to", "emails", multiple=True, required=True, help="Adresse de test (répétable).")
@pass_hub
@run_async
async def test_command(hub: HubContext, campaign_id: int, emails: tuple[str, ...]) -> None:
    """Envoie la campagne à quelques adresses, objet préfixé [TEST], sans la compter."""
    addresses = [normalise_email(e) for e in emails]
    async with hub.services() as services:
        _ = services.messenger  # made first: a missing secret is said before anything else
        outcomes = await services.campaigns.send_test(campaign_id, addresses)
    for outcome in outcomes:
        if outcome.accepted:
            click.echo(f"Test envoyé à {outcome.recipient.email}")
        else:
            click.echo(f"Échec pour {outcome.recipient.email} : {outcome.error}", err=True)
    if not all(o.accepted for o in outcomes):
        sys.exit(1)


@campaign_group.command("schedule")
@click.argument("campaign_id", type=int)
@click.option("--at", "at", required=True, help='Date et heure de Paris, ex. "2026-12-01 09:00".')
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def schedule_command(hub: HubContext, campaign_id: int, at: str, as_json: bool) -> None:
    """Programme l'envoi ; « hub run » le lancera à l'heure dite (heure de Paris)."""
    config = hub.config
    when = parse_local_datetime(at, config.tz, "--at")
    async with hub.services() as services:
        campaign = await services.campaigns.schedule(campaign_id, when)
    if as_json:
        print_json(campaign.to_json())
        return
    echo_campaign(campaign, config)
    click.echo("L'envoi partira à cette heure si « hub run » tourne (sinon dès son lancement).")


async def _send_in_foreground(
    services: HubServices, campaign_id: int, action: str, *, in_doubt: bool = False
) -> Progress:
    """Run a send here, with a progress bar on stderr, and return when it is done."""

    start = await services.campaigns.progress(campaign_id)
    with click.progressbar(
        length=max(start.audience, 1), label="Envoi", file=sys.stderr, show_pos=True
    ) as bar:
        shown = start.done

        def advance(progress: Progress) -> None:
            nonlocal shown
            bar.length = max(progress.audience, 1)
            bar.update(progress.done - shown)
            shown = progress.done

        sender = services.campaigns.sender(on_progress=advance)
        if action == "start":
            progress = await sender.start(campaign_id)
        elif action == "resume":
            progress = await sender.resume(campaign_id)
        else:
            progress = await sender.retry(campaign_id, in_doubt=in_doubt)
        advance(progress)
    return progress


def _finish(progress: Progress, campaign: Campaign, as_json: bool) -> None:
    if as_json:
        print_json({**campaign.to_json(), "progress": progress.to_json()})
    else:
        echo_progress(campaign.id, progress)
        click.echo(f"Campagne {campaign.id} : {campaign.status_label}")
    if progress.failed or progress.in_doubt:
        sys.exit(1)


@campaign_group.command("send")
@click.argument("campaign_id", type=int)
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@click.option("--dry-run", is_flag=True, help="Compter les destinataires sans rien envoyer.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def send_command(
    hub: HubContext, campaign_id: int, yes: bool, dry_run: bool, as_json: bool
) -> None:
    """Envoie la campagne maintenant, au premier plan, avec une barre de progression."""
    config = hub.config
    async with hub.services() as services:
        campaign = await services.campaigns.get(campaign_id)
        if dry_run and campaign.status not in ("draft", "scheduled"):
            await dry_run_of_a_campaign_gone(services.db, config, campaign, as_json)
            return
        audience = await services.campaigns.require_audience(campaign)  # nobody: refused, as a send
        backend = config.mail.backend
        if dry_run:
            if as_json:
                print_json({**campaign.to_json(), "audience": audience, "dry_run": True})
            else:
                click.echo(
                    f"« {campaign.subject} » partirait à {audience} destinataire(s) "
                    f"(liste {campaign.list}, envoi : {backend}). Rien n'a été envoyé."
                )
            return
        if not yes:
            confirm(
                f"Envoyer « {campaign.subject} » à {french_number(audience)} "
                f"{'personnes' if audience > 1 else 'personne'} "
                f"(liste {campaign.list}, envoi : {backend}) ?"
            )
        progress = await _send_in_foreground(services, campaign_id, "start")
        _finish(progress, await services.campaigns.get(campaign_id), as_json)


@campaign_group.command("resume")
@click.argument("campaign_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def resume_command(hub: HubContext, campaign_id: int, as_json: bool) -> None:
    """Reprend un envoi en pause, ou interrompu (processus arrêté), au premier plan."""
    async with hub.services() as services:
        progress = await _send_in_foreground(services, campaign_id, "resume")
        _finish(progress, await services.campaigns.get(campaign_id), as_json)


@campaign_group.command("retry")
@click.argument("campaign_id", type=int)
@click.option(
    "--in-doubt",
    is_flag=True,
    help="Renvoyer aussi les lots en doute (interrompus pendant l'appel au fournisseur).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def retry_command(hub: HubContext, campaign_id: int, in_doubt: bool, as_json: bool) -> None:
    """Renvoie la campagne aux seuls destinataires en échec."""
    async with hub.services() as services:
        progress = await _send_in_foreground(services, campaign_id, "retry", in_doubt=in_doubt)
        _finish(progress, await services.campaigns.get(campaign_id), as_json)


@campaign_group.command("pause")
@click.argument("campaign_id", type=int)
@pass_hub
@run_async
async def pause_command(hub: HubContext, campaign_id: int) -> None:
    """Met l'envoi en pause après les lots en cours (« resume » le reprend)."""
    async with hub.services() as services:
        campaign = await services.campaigns.pause(campaign_id)
    echo_campaign(campaign, hub.config)


@campaign_group.command("cancel")
@click.argument("campaign_id", type=int)
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@pass_hub
@run_async
async def cancel_command(hub: HubContext, campaign_id: int, yes: bool) -> None:
    """Annule la campagne : plus rien ne part ; ce qui est parti reste enregistré."""
    if not yes:
        confirm(f"Annuler la campagne {campaign_id} ?", refused="Rien n'a été annulé.")
    async with hub.services() as services:
        campaign = await services.campaigns.cancel(campaign_id)
    echo_campaign(campaign, hub.config)


@campaign_group.command("status")
@click.argument("campaign_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (sans suivi en direct).")
@pass_hub
@run_async
async def status_command(hub: HubContext, campaign_id: int, as_json: bool) -> None:
    """État de la campagne ; pendant un envoi, une barre de progression suit en direct."""
    config = hub.config
    async with hub.services() as services:
        campaign = await services.campaigns.get(campaign_id)
        progress = await services.campaigns.progress(campaign_id)
        if as_json:
            print_json({**campaign.to_json(), "progress": progress.to_json()})
            return
        echo_campaign(campaign, config)
        if campaign.status == "sending" and not interrupted(campaign) and sys.stderr.isatty():
            with click.progressbar(
                length=max(progress.audience, 1), label="Envoi", file=sys.stderr
            ) as bar:
                bar.update(progress.done)
                while campaign.status == "sending" and not interrupted(campaign):
                    await asyncio.sleep(STATUS_POLL_SECONDS)
                    latest = await services.campaigns.progress(campaign_id)
                    bar.update(latest.done - progress.done)
                    progress = latest
                    campaign = await services.campaigns.get(campaign_id)
            if interrupted(campaign):  # its process stopped while we watched
                echo_interrupted(campaign)
        if campaign.started_at:
            echo_progress(campaign_id, progress)


@campaign_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def list_command(hub: HubContext, as_json: bool) -> None:
    """Les campagnes, des plus récentes aux plus anciennes."""
    async with hub.services() as services:
        campaigns = await services.campaigns.latest()
    if as_json:
        print_json([c.to_json() for c in campaigns])
        return
    if not campaigns:
        click.echo("Aucune campagne. Créez-en une : hub campaign create --draft BROUILLON")
    for campaign in campaigns:
        echo_campaign(campaign, hub.config)


@campaign_group.command("stats")
@click.argument("campaign_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def stats_command(hub: HubContext, campaign_id: int, as_json: bool) -> None:
    """Les chiffres de la campagne : audience, délivrés, ouvertures, clics, rejets…"""
    async with hub.services() as services:
        stats = await services.campaigns.stats(campaign_id)
    if as_json:
        print_json(stats.to_json())
        return
    width = max(len(label) for label in STAT_LABELS.values())
    for key, label in STAT_LABELS.items():
        click.echo(f"{label:<{width}}  {getattr(stats, key)}")


@campaign_group.command("failures")
@click.argument("campaign_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def failures_command(hub: HubContext, campaign_id: int, as_json: bool) -> None:
    """Chaque destinataire en échec et pourquoi (« retry » les renvoie)."""
    async with hub.services() as services:
        failures = await services.campaigns.failures(campaign_id)
    if as_json:
        print_json([failure.to_json() for failure in failures])
        return
    if not failures:
        click.echo("Aucun échec.")
    for failure in failures:
        click.echo(f"{failure.email or '(personne effacée)'} : {failure.error}")


def setup(cli: click.Group) -> None:
    cli.add_command(campaign_group)
