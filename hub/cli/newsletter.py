"""`hub newsletter`: compose a draft, render it, preview it."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import click

from hub.cli import HubContext, UserError, pass_hub, print_json, run_async
from hub.config import Config
from hub.db import Database
from hub.timeutil import parse_date
from newsletters import archive
from newsletters.compose import ComposeError, compose_issue
from newsletters.draft import DraftError, load_draft, write_draft
from newsletters.model import Issue


def draft_path(config: Config, issue: Issue) -> Path:
    return config.data_dir / "drafts" / f"{issue.edition}-{issue.number}.md"


def issue_dir(config: Config, issue: Issue) -> Path:
    return config.issues_dir / issue.edition / str(issue.number)


async def compose_draft(
    db: Database,
    config: Config,
    edition: str,
    *,
    since: datetime | None,
    out: Path | None,
    force: bool = False,
) -> tuple[Issue, Path]:
    """Compose the next issue of `edition` and write its draft; never overwrite staff edits."""
    try:
        issue = await compose_issue(db, config, edition, now=datetime.now(config.tz), since=since)
    except ComposeError as exc:
        raise UserError(str(exc)) from None
    path = out or draft_path(config, issue)
    if path.exists() and not force:
        raise UserError(
            f"{path} existe déjà (peut-être modifié à la main) : choisissez un autre fichier "
            "avec --out, ou ajoutez --force pour le remplacer"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(write_draft(issue), encoding="utf-8")
    return issue, path


async def render_draft(
    db: Database, config: Config, draft: Path, out: Path | None
) -> tuple[Issue, list[Path]]:
    """Render a draft once, write its three files and record it in the archive."""
    from newsletters.render import RenderError, render_issue, write_rendered

    try:
        issue = load_draft(draft, config)
        rendered = render_issue(issue, config)
    except (DraftError, RenderError) as exc:
        raise UserError(str(exc)) from None
    paths = write_rendered(rendered, out or issue_dir(config, issue))
    await archive.save_issue(db, issue, rendered.html, rendered.text, rendered.meta)
    return issue, paths


@click.group("newsletter")
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
        start = datetime.combine(parse_date(since, "--since"), datetime.min.time(), config.tz)
    async with hub.database() as db:
        issue, path = await compose_draft(db, config, edition, since=start, out=out, force=force)
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
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def render_command(hub: HubContext, draft: Path, out: Path | None, as_json: bool) -> None:
    """Produit issue.html, issue.txt et issue.json à partir d'un brouillon (DRAFT)."""
    config = hub.config
    async with hub.database() as db:
        issue, paths = await render_draft(db, config, draft, out)
    if as_json:
        print_json(
            {"edition": issue.edition, "number": issue.number, "files": [str(p) for p in paths]}
        )
        return
    web_url = f"{config.web.base_url}/archives/{issue.edition}/{issue.number}"
    click.echo(
        f"{config.editions[issue.edition].name} n°{issue.number} rendu : « {issue.subject} »"
    )
    for path in paths:
        click.echo(f"  {path}")
    click.echo(f"Archivé : {web_url} (avec « hub run »)")
    click.echo(str(paths[0].parent))


@newsletter_group.command("preview")
@click.argument("draft", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, type=int, help="Port (0 : un port libre).")
@pass_hub
def preview_command(hub: HubContext, draft: Path, host: str, port: int) -> None:
    """Affiche un brouillon dans le navigateur, sans l'archiver (Ctrl-C pour arrêter)."""
    from newsletters.render import RenderError, render_issue

    from hub.web.preview import serve_preview

    config = hub.config
    try:
        issue = load_draft(draft, config)
        rendered = render_issue(issue, config)
    except (DraftError, RenderError) as exc:
        raise UserError(str(exc)) from None

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
