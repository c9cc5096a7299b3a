"""`hub discord` commands for the federation's news on Discord (issue 12): announce a
newsletter issue by hand, publish a staff announcement, list the questions to the staff.
Registered on the `hub discord` group by `hub.cli.discord.setup`."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from hub.cli import HubCommand, HubContext, pass_hub, print_json, run_async
from hub.community import announce, staff_posts
from hub.community.questions import CATEGORIES, STATUS_LABELS, age
from hub.errors import UserError
from hub.timeutil import french_date, optional_utc_text, parse_date, start_of_day, to_utc_text


@click.command("announce-issue", cls=HubCommand)
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


@click.command("announce", cls=HubCommand)
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


DEFAULT_PERIOD_DAYS = 30


def _age(delta: timedelta) -> str:
    """An age in French, to the unit that matters: « 2 j 5 h », « 3 h », « 12 min »."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, hours = minutes // 1440, minutes % 1440 // 60
    if days:
        return f"{days} j {hours} h"
    return f"{hours} h" if hours else f"{minutes} min"


@click.command("questions", cls=HubCommand)
@click.option("--open", "open_only", is_flag=True, help="Seulement les questions non résolues.")
@click.option(
    "--since",
    metavar="AAAA-MM-JJ",
    help=f"Depuis ce jour (par défaut : les {DEFAULT_PERIOD_DAYS} derniers jours).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def questions_command(
    hub: HubContext, open_only: bool, since: str | None, as_json: bool
) -> None:
    """Les questions posées à l'équipe sur Discord : catégorie, âge, qui l'a prise, et le
    nombre par catégorie sur la période."""
    config = hub.config
    tz = config.tz
    if since is None:
        start = datetime.now(UTC) - timedelta(days=DEFAULT_PERIOD_DAYS)
    else:
        start = start_of_day(parse_date(since, "--since"), tz).astimezone(UTC)
    async with hub.services() as services:
        service = services.questions
        listed = await service.listed(open_only=open_only, since=start)
        counts = await service.counts(since=start)
    now = datetime.now(UTC)
    if as_json:
        print_json(
            {
                "since": to_utc_text(start),
                "questions": [
                    {
                        "id": q.id,
                        "server": q.server,
                        "category": q.category,
                        "status": q.status,
                        "discord_user_id": q.discord_user_id,
                        "thread_id": q.thread_id,
                        "taken_by": q.taken_by,
                        "created_at": to_utc_text(q.created_at),
                        "taken_at": optional_utc_text(q.taken_at),
                        "resolved_at": optional_utc_text(q.resolved_at),
                        "age_seconds": int(age(q, now).total_seconds()),
                    }
                    for q in listed
                ],
                "counts": counts,
            }
        )
        return
    if not listed:
        click.echo("Aucune question " + ("ouverte." if open_only else "sur la période."))
    for q in listed:
        server = config.discord[q.server].name if q.server in config.discord else q.server
        taken = f"prise par {q.taken_by}" if q.taken_by else "personne ne l'a prise"
        click.echo(
            f"n° {q.id} · {q.category_label} · {STATUS_LABELS[q.status]} · il y a "
            f"{_age(age(q, now))} · {taken} · {server}"
        )
    total = sum(counts.values())
    per_category = ", ".join(f"{CATEGORIES[key]} {n}" for key, n in counts.items())
    click.echo(
        f"Depuis le {french_date(start.astimezone(tz).date())} : {total} question(s) — "
        f"{per_category}"
    )


def register(group: click.Group) -> None:
    group.add_command(announce_issue_command)
    group.add_command(announce_command)
    group.add_command(questions_command)
