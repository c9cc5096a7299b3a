"""`hub discord` commands for the federation's news on Discord (issue 12): announce a
newsletter issue by hand, publish a staff announcement. Registered on the `hub discord`
group by `hub.cli.discord.setup`."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from hub.cli import HubContext, pass_hub, run_async
from hub.community import announce, staff_posts
from hub.errors import UserError


@click.command("announce-issue")
@click.argument("edition", metavar="ÉDITION")
@click.argument("number", metavar="NUMÉRO", type=click.IntRange(min=1))
@pass_hub
@run_async
async def announce_issue_command(hub: HubContext, edition: str, number: int) -> None:
    """Annonce un numéro publié dans #annonces des serveurs qui reçoivent son édition."""
    async with hub.services() as services:
        servers = await announce.queue_issue(services.db, services.config, edition, number)
    names = ", ".join(f"« {services.config.discord[key].name} »" for key in servers)
    click.echo(
        f"Numéro {number} de « {edition} » annoncé sur {names} (une fois par serveur ; "
        "le bot le publie dès qu'il est connecté)."
    )


@click.command("announce")
@click.option(
    "--server",
    "choice",
    metavar="SERVEUR",
    required=True,
    help="Le serveur (sa clé : salaries, elus) ou « tous ».",
)
@click.option(
    "--file",
    "path",
    metavar="TEXTE.md",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Le texte en Markdown ; sa première ligne est le titre.",
)
@click.option("--notifier", is_flag=True, help="Mentionner le rôle adhérent (notification).")
@click.option("--dry-run", is_flag=True, help="Montre l'annonce sans la publier.")
@pass_hub
@run_async
async def announce_command(
    hub: HubContext, choice: str, path: Path, notifier: bool, dry_run: bool
) -> None:
    """Publie une annonce de l'équipe dans #annonces (les bots du hub la postent)."""
    config = hub.config
    servers = staff_posts.servers_for(config, choice)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} : le fichier doit être du texte UTF-8") from None
    announcement = staff_posts.from_markdown(source, notifier)
    names = ", ".join(f"« {config.discord[key].name} »" for key in servers)
    if dry_run:
        click.echo(f"Titre : {announcement.title}")
        click.echo(announcement.text)
        click.echo(
            f"Serait publiée dans #annonces de {names}"
            f"{' avec notification @adhérent' if notifier else ''} (rien n'est publié : "
            "--dry-run)."
        )
        return
    async with hub.services() as services:
        await staff_posts.queue(services.db, servers, announcement, f"cli:{getpass.getuser()}")
    click.echo(
        f"Annonce « {announcement.title} » publiée dans #annonces de {names} (le bot la poste "
        "dès qu'il est connecté)."
    )


def register(group: click.Group) -> None:
    group.add_command(announce_issue_command)
    group.add_command(announce_command)
