"""`hub demo`: the whole newsletter pipeline on the shipped sample feed, for a newcomer.

It works in a sandbox of its own (`<data_dir>/demo`, recreated at each run), so it never
touches the real archive or uses up the real editions' numbers.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime

import click

from hub.cli import HubCommand, HubContext, pass_hub, print_json, run_async
from hub.config import SAMPLE_FEED, Config, FeedSource
from hub.db import Database
from newsletters.fetch import pull_configured
from newsletters.pipeline import draft_next_issue, publish_draft

# The sample feed holds the federation's news since mid-2025: the demo takes all of it, so it
# shows full issues on any day (each edition's sections keep only their newest items).
DEMO_SINCE = datetime.fromisoformat("2025-01-01T00:00:00+01:00")


def demo_config(config: Config) -> Config:
    """The configuration with its data in the demo sandbox and the sample feed as only feed."""
    return dataclasses.replace(
        config,
        data_dir=config.data_dir / "demo",
        feeds=dataclasses.replace(config.feeds, sources=[FeedSource("exemple", str(SAMPLE_FEED))]),
    )


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
    async with await Database.open(config.database_path) as db:
        report = await pull_configured(db, config)
        for edition in config.editions:
            _, draft = await draft_next_issue(db, config, edition, since=DEMO_SINCE)
            results.append((await publish_draft(db, config, draft), draft))

    if as_json:
        print_json({"data_dir": str(config.data_dir), "issues": [p.to_json() for p, _ in results]})
        return
    (feed,) = report.feeds
    click.echo(f"Flux d'exemple : {feed.new} articles")
    for published, draft in results:
        issue = published.issue
        click.echo(f"{config.editions[issue.edition].name} n°{issue.number} : {published.files[0]}")
        click.echo(f"    brouillon modifiable : {draft}")
    click.echo("")
    click.echo("Pour parcourir ces archives dans le navigateur :")
    click.echo(f"    HUB_DATA_DIR={config.data_dir} .venv/bin/hub run")
    click.echo(f"puis ouvrez {config.web.base_url}/archives/")


def setup(cli: click.Group) -> None:
    cli.add_command(demo_command)
