"""`hub discord` commands for the federation's news on Discord (issue 12): announce a
newsletter issue by hand. Registered on the `hub discord` group by `hub.cli.discord.setup`."""

from __future__ import annotations

import click

from hub.cli import HubContext, pass_hub, run_async
from hub.community import announce


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


def register(group: click.Group) -> None:
    group.add_command(announce_issue_command)
