"""`hub newsletter`: compose a draft, render it, preview it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import click

from hub.cli import HubContext, HubGroup, pass_hub, print_json, run_async
from hub.errors import UserError
from hub.timeutil import parse_date, start_of_day
from newsletters.compose import NoArticles
from newsletters.pipeline import (
    DraftExists,
    IssueAlreadyArchived,
    draft_next_issue,
    publish_draft,
    render_draft,
)


@contextmanager
def _hints() -> Iterator[None]:
    """The workflow's errors with what to type about them on this command line (the
    newsletters package names no command nor option)."""
    try:
        yield
    except NoArticles as exc:
        raise UserError(
            f"{exc}. Lancez « hub feed pull » ou élargissez la période avec --since AAAA-MM-JJ."
        ) from None
    except DraftExists as exc:
        raise UserError(
            f"{exc} : choisissez un autre fichier avec --out, ou ajoutez --force pour le remplacer"
        ) from None
    except IssueAlreadyArchived as exc:
        raise UserError(
            f"{exc} : ajoutez --force pour le remplacer, ou changez « number » dans le brouillon"
        ) from None


@click.group("newsletter", cls=HubGroup)
def newsletter_group() -> None:
    """Newsletters : brouillon, rendu, aperçu."""


@newsletter_group.command("draft")
@click.argument("edition")
@click.option("--since", help="Articles publiés depuis cette date (AAAA-MM-JJ, heure de Paris).")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Fichier du brouillon."
)
@click.option("--force", is_flag=True, help="Remplacer le fichier s'il existe déjà.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def draft_command(
    hub: HubContext, edition: str, since: str | None, out: Path | None, force: bool, as_json: bool
) -> None:
    """Compose le prochain numéro d'EDITION (bimestrielle, flash, condense, essentiel).

    Le brouillon (Markdown) se modifie à la main avant « hub newsletter render ».
    """
    config = hub.config
    config.edition(edition)
    start = None
    if since:
        start = start_of_day(parse_date(since, "--since"), config.tz)
    async with hub.database() as db:
        with _hints():
            issue, path = await draft_next_issue(
                db, config, edition, since=start, out=out, force=force
            )
    if as_json:
        print_json(
            {
                "edition": issue.edition,
                "number": issue.number,
                "draft": str(path),
                "articles": len(issue.articles),
            }
        )
        return
    sections = ", ".join(f"{s.title} ({len(s.articles)})" for s in issue.sections)
    click.echo(
        f"{config.editions[edition].name} n°{issue.number} : {len(issue.articles)} article(s)"
    )
    click.echo(f"Rubriques : {sections}")
    click.echo(f"Modifiez le brouillon puis : hub newsletter render {path}")
    click.echo(str(path))


@newsletter_group.command("render")
@click.argument("draft", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier de sortie (par défaut var/issues/ÉDITION/NUMÉRO).",
)
@click.option("--force", is_flag=True, help="Remplacer le numéro s'il est déjà archivé.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def render_command(
    hub: HubContext, draft: Path, out: Path | None, force: bool, as_json: bool
) -> None:
    """Produit issue.html, issue.txt et issue.json à partir d'un brouillon (DRAFT)."""
    config = hub.config
    async with hub.database() as db:
        with _hints():
            published = await publish_draft(db, config, draft, out, replace=force)
    issue = published.issue
    if as_json:
        print_json(published.to_json())
        return
    click.echo(
        f"{config.editions[issue.edition].name} n°{issue.number} rendu : « {issue.subject} »"
    )
    for path in published.files:
        click.echo(f"  {path}")
    click.echo(f"Version web : {published.web_url} (servie par « hub run »)")
    click.echo(str(published.files[0].parent))


@newsletter_group.command("preview")
@click.argument("draft", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port (0 : un port libre).")
@pass_hub
def preview_command(hub: HubContext, draft: Path, host: str, port: int) -> None:
    """Affiche un brouillon dans le navigateur, sans l'archiver (Ctrl-C pour arrêter)."""
    from hub.web.preview import serve_preview

    config = hub.config
    issue, rendered = render_draft(config, draft)

    def ready(url: str) -> None:
        click.echo(f"Aperçu de « {issue.subject} » : {url} (Ctrl-C pour arrêter)")

    with suppress(KeyboardInterrupt):
        asyncio.run(
            serve_preview(
                config,
                rendered.html,
                rendered.text,
                issue.subject,
                host=host,
                port=port,
                on_ready=ready,
            )
        )


def setup(cli: click.Group) -> None:
    cli.add_command(newsletter_group)
