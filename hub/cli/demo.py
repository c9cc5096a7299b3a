"""`hub demo`: the whole newsletter pipeline on the embedded defaults, for a newcomer."""

from __future__ import annotations

from datetime import datetime

import click

from hub.cli import HubCommand, HubContext, pass_hub, print_json, run_async
from newsletters.fetch import pull_configured
from newsletters.pipeline import draft_next_issue, publish_draft

# The sample feed holds the federation's news since mid-2025: the demo takes all of it, so it
# shows full issues on any day (each edition's sections keep only their newest items).
DEMO_SINCE = datetime.fromisoformat("2025-01-01T00:00:00+01:00")


@click.command("demo", cls=HubCommand)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def demo_command(hub: HubContext, as_json: bool) -> None:
    """Relève le flux d'exemple, compose et rend un numéro de chaque édition."""
    config = hub.config
    results = []
    async with hub.database() as db:
        report = await pull_configured(db, config)
        if not as_json:
            for feed in report.feeds:
                click.echo(
                    f"Flux « {feed.name} » : {feed.new} nouveaux, {feed.updated} mis à jour, "
                    f"{feed.unchanged} inchangés"
                )
        for edition in config.editions:
            issue, draft = await draft_next_issue(db, config, edition, since=DEMO_SINCE)
            published = await publish_draft(db, config, draft)
            results.append((published, draft))

    if as_json:
        print_json(
            [
                {
                    "edition": p.issue.edition,
                    "number": p.issue.number,
                    "draft": str(d),
                    "html": str(p.files[0]),
                    "web_url": p.web_url,
                }
                for p, d in results
            ]
        )
        return
    click.echo("")
    for published, draft in results:
        issue = published.issue
        click.echo(f"{config.editions[issue.edition].name} n°{issue.number} : {published.files[0]}")
        click.echo(f"    brouillon modifiable : {draft}")
        click.echo(f"    version web : {published.web_url}")
    click.echo("")
    click.echo(
        "Pour parcourir les archives : .venv/bin/hub run, puis "
        f"{config.web.base_url}/archives/ dans le navigateur."
    )


def setup(cli: click.Group) -> None:
    cli.add_command(demo_command)
