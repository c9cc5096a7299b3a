"""`hub run`: the web archive and the scheduler, in one process, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import click

from hub.cli import HubCommand, HubContext, pass_hub
from hub.config import Config

log = logging.getLogger("hub.cli")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def links_elsewhere(config: Config, url: str) -> str | None:
    """Why the e-mails' links will not reach this process, when `--port` put it on a port
    other than [web].base_url's; None when they match (or base_url names no port we can read).

    Links are signed and sent with base_url (behind a proxy it is rightly another port): the
    hub cannot guess the address people will use, it can only say which one they get."""
    try:
        base = urlsplit(config.web.base_url)
        base_port = base.port or _DEFAULT_PORTS.get(base.scheme)
        port = urlsplit(url).port
    except ValueError:
        return None
    if base_port is None or port is None or base_port == port:
        return None
    return (
        f"les liens des e-mails (désinscription, confirmation, préférences) pointeront vers "
        f"[web].base_url = {config.web.base_url}, pas vers le port {port} de ce lancement ; "
        "changez [web].base_url si ce n'est pas voulu"
    )


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
        elsewhere = links_elsewhere(config, url) if port is not None else None
        if elsewhere:
            log.warning(elsewhere)

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
