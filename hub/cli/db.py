"""`hub db`: the database's schema."""

from __future__ import annotations

import click

from hub.cli import HubContext, HubGroup, pass_hub, run_async


@click.group("db", cls=HubGroup)
def db_group() -> None:
    """Base de données (SQLite)."""


@db_group.command("upgrade")
@pass_hub
@run_async
async def upgrade(hub: HubContext) -> None:
    """Applique les migrations en attente (elles le sont aussi à chaque démarrage)."""
    from hub.db import Database

    db = await Database.open(hub.config.database_path, migrate=False)
    try:
        applied = await db.upgrade()
        version = await db.schema_version()
    finally:
        await db.close()
    if applied:
        click.echo(f"Migrations appliquées : {', '.join(map(str, applied))}.")
    click.echo(f"Schéma à la version {version} ({hub.config.database_path}).")


def setup(cli: click.Group) -> None:
    cli.add_command(db_group)
