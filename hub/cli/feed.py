"""`hub feed`: pull the content feeds and look at the items stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import click

from hub.cli import HubContext, HubGroup, pass_hub, print_json, run_async
from hub.config import FeedSource
from hub.errors import UserError
from hub.timeutil import parse_date, start_of_day
from newsletters.fetch import FeedResult, PullReport, is_web_url, pull_configured
from newsletters.store import StoredItem, list_items

_NOT_NAME = re.compile(r"[^a-z0-9]+")
_SQLITE_MAX_INT = 2**63 - 1


@click.group("feed", cls=HubGroup)
def feed_group() -> None:
    """Flux de contenus (RSS/Atom) : récupération et éléments enregistrés."""


@feed_group.command("pull")
@click.option(
    "--url",
    metavar="URL",
    help="Récupère ce seul flux (URL http(s) ou chemin de fichier), pas ceux de la configuration.",
)
@click.option(
    "--name",
    metavar="NOM",
    help="Nom sous lequel enregistrer le flux de --url (par défaut, tiré de l'URL).",
)
@click.option("--json", "as_json", is_flag=True, help="Affiche le bilan en JSON.")
@pass_hub
@run_async
async def pull(hub: HubContext, url: str | None, name: str | None, as_json: bool) -> None:
    """Récupère les flux et enregistre leurs éléments nouveaux ou modifiés.

    Code de sortie 1 si aucun flux n'a pu être lu.
    """
    config = hub.config
    if url:
        sources = [_one_source(url, name, config.feeds.sources)]
    elif name:
        raise UserError("--name s'utilise avec --url (nom du flux à enregistrer)")
    else:
        sources = config.feeds.sources
    if not sources:
        raise UserError(
            f"aucun flux dans {config.path} ([[feeds.sources]]) ; indiquez-en un ou utilisez --url"
        )
    async with hub.database() as db:
        report = await pull_configured(db, config, sources)
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(report)
    if not report.any_read:
        raise click.exceptions.Exit(1)


def _one_source(url: str, name: str | None, configured: list[FeedSource]) -> FeedSource:
    """The feed given with --url, its location checked and its name chosen."""
    if "://" in url:
        if not is_web_url(url) and not url.startswith("file://"):
            raise UserError(f"--url : {url!r} : attendu une URL http(s) ou un chemin de fichier")
        try:
            urlsplit(url)
        except ValueError:  # e.g. "http://[flux/rss"
            raise UserError(f"--url : {url!r} : URL invalide") from None
        location = url
    else:
        try:
            path = Path(url).expanduser()
        except RuntimeError:  # "~inconnu/flux.xml"
            raise UserError(f"--url : {url!r} : utilisateur inconnu") from None
        if path.is_dir():
            raise UserError(f"--url : c'est un dossier, pas un fichier : {path}")
        if not path.is_file():
            raise UserError(f"--url : fichier introuvable : {path}")
        location = str(path.resolve())
    name = (name or _name_from(location)).strip()
    if not name:
        raise UserError("--name : le nom du flux ne peut pas être vide")
    for source in configured:
        if source.name == name and source.url != location:
            raise UserError(
                f"--name : {name!r} est déjà le nom d'un flux de la configuration ({source.url}) ; "
                "choisissez-en un autre"
            )
    return FeedSource(name=name, url=location)


def _name_from(location: str) -> str:
    """`https://www.fcpts.org/feed/` → `fcpts-org-feed`; `/chemin/actualites.xml` → `actualites`."""
    if is_web_url(location):
        parts = urlsplit(location)
        text = f"{parts.hostname or ''}{parts.path}".removeprefix("www.")
    else:
        text = Path(urlsplit(location).path if "://" in location else location).stem
    return _NOT_NAME.sub("-", text.lower()).strip("-")


def _print_report(report: PullReport) -> None:
    for feed in report.feeds:
        click.echo(f"{feed.name} : {_feed_summary(feed)}")
        for problem in feed.problems:
            where = f"{problem.item} : " if problem.item else ""
            click.echo(f"  ⚠ {where}{problem.reason}")
    read = sum(f.status != "error" for f in report.feeds)
    click.echo(
        f"Bilan : {read} flux lu(s) sur {len(report.feeds)} ; "
        f"{sum(f.new for f in report.feeds)} nouveau(x), "
        f"{sum(f.updated for f in report.feeds)} mis à jour."
    )


def _feed_summary(feed: FeedResult) -> str:
    if feed.status == "error":
        return f"erreur — {feed.error} ({feed.url})"
    if feed.status == "not-modified":
        return "non modifié (304)"
    summary = f"{feed.new} nouveau(x), {feed.updated} mis à jour, {feed.unchanged} inchangé(s)"
    if feed.problems:
        summary += f", {len(feed.problems)} problème(s)"
    return summary


@feed_group.command("list")
@click.option(
    "--since", metavar="AAAA-MM-JJ", help="Seulement les éléments datés de ce jour ou après."
)
@click.option(
    "--category",
    metavar="CATÉGORIE",
    help="Seulement les éléments de cette catégorie (sans tenir compte de la casse).",
)
@click.option("--limit", metavar="N", help="Nombre maximum d'éléments affichés.")
@click.option("--json", "as_json", is_flag=True, help="Affiche les éléments en JSON (tableau).")
@pass_hub
@run_async
async def list_command(
    hub: HubContext, since: str | None, category: str | None, limit: str | None, as_json: bool
) -> None:
    """Liste les éléments enregistrés, les plus récents d'abord.

    Les dates sont à l'heure du hub ([hub].timezone, Europe/Paris par défaut) ; un élément
    sans date est daté du jour où le hub l'a vu pour la première fois.
    """
    tz = hub.config.tz
    start = _since(since, tz) if since is not None else None
    if category is not None and not category.strip():
        raise UserError("--category : la catégorie ne peut pas être vide")
    count = _limit(limit) if limit is not None else None
    async with hub.database() as db:
        items = await list_items(db, since=start, category=category, limit=count)
    if as_json:
        print_json([_item_json(i, tz) for i in items])
        return
    if not items:
        click.echo("Aucun élément enregistré pour ces critères (lancez « hub feed pull »).")
        return
    for item in items:
        categories = f"  [{', '.join(item.categories)}]" if item.categories else ""
        click.echo(f"{item.date.astimezone(tz):%Y-%m-%d %H:%M}  {item.title}{categories}")
        click.echo(f"                  {item.link or '(sans lien)'}")


def _since(text: str, tz: ZoneInfo) -> datetime:
    """Midnight of the typed day, in UTC like the stored dates (`parse_date` keeps the year
    within YEAR_MIN–YEAR_MAX, so the conversion cannot leave datetime's range)."""
    return start_of_day(parse_date(text, "--since"), tz).astimezone(UTC)


def _limit(text: str) -> int:
    """A count of items: French message for a wrong one; beyond SQLite's integers means all."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise UserError(f"--limit : {text!r} : attendu un nombre entier, 1 ou plus")
    return min(count, _SQLITE_MAX_INT)


def _item_json(item: StoredItem, tz: tzinfo) -> dict[str, object]:
    def local(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value else None

    return {
        "id": item.id,
        "feed": item.feed_name,
        "title": item.title,
        "link": item.link,
        "date": local(item.date),
        "published_at": local(item.published_at),
        "first_seen_at": local(item.first_seen_at),
        "updated_at": local(item.updated_at),
        "categories": item.categories,
        "author": item.author,
        "image_url": item.image_url,
        "image_alt": item.image_alt,
        "event_start": local(item.event_start),
        "event_end": local(item.event_end),
        "event_location": item.event_location,
        "summary_html": item.summary_html,
    }


def setup(cli: click.Group) -> None:
    cli.add_command(feed_group)
