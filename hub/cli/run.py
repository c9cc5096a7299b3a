"""`hub run`: the web archive and the scheduler, in one process, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

import click

from hub.cli import HubCommand, HubContext, pass_hub


@click.command("run", cls=HubCommand)
@click.option("--host", help="Adresse d'écoute (par défaut : [web].host de la configuration).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port (par défaut : [web].port ; 0 : un port libre).",
)
@pass_hub
def run_command(hub: HubContext, host: str | None, port: int | None) -> None:
    """Lance le hub : archives web, relève des flux programmée (Ctrl-C pour arrêter)."""
    from hub.process import serve

    config = hub.config

    def ready(url: str) -> None:
        click.echo(f"Le hub est lancé : {url}/ (archives : {url}/archives/). Ctrl-C pour arrêter.")

    asyncio.run(
        serve(
            config,
            host or config.web.host,
            config.web.port if port is None else port,
            on_ready=ready,
        )
    )


def setup(cli: click.Group) -> None:
    cli.add_command(run_command)
