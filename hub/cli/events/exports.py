"""`hub events registrations`: an event's registrations as a spreadsheet (CSV or Excel)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from hub.cli import HubContext, pass_hub, run_async
from hub.cli.events.shared import (
    event_service,
    events_group,
    paris_time,
)
from hub.config import Config
from hub.errors import UserError
from hub.events.model import (
    REGISTRATION_STATUSES,
    Event,
    Registrant,
)
from hub.events.wording import (
    REGISTRATION_LABELS,
)
from hub.exports import append_xlsx_row, safe_cell
from hub.files import create_private_file
from hub.subscribers.labels import ROLE_LABELS
from hub.wording import french_number

EXPORT_FORMATS = ("csv", "xlsx")
SPREADSHEET_TIME = "%Y-%m-%d %H:%M"  # naive Paris time, which spreadsheets read as a date


def _spreadsheet(
    config: Config, event: Event, rows: Iterable[Registrant]
) -> tuple[list[str], list[list[Any]]]:
    """The registrations as a table: person, status, position, registration time (Paris,
    naive), then one column per question headed by its label (answers to questions removed
    since follow, headed by their key)."""
    rows = list(rows)
    keys = [q.key for q in event.questions]
    keys += sorted({k for row in rows for k in row.registration.answers} - set(keys))
    labels = {q.key: q.label for q in event.questions}
    headers = [
        "E-mail",
        "Prénom",
        "Nom",
        "Organisation",
        "Rôle",
        "Adhérent(e)",
        "Statut",
        "Position en liste d'attente",
        "Inscrit(e) le",
        "Canal",
        *(labels.get(k, k) for k in keys),
    ]
    table = []
    for row in rows:
        registered = row.registration.created_at
        table.append(
            [
                row.email,
                row.first_name,
                row.last_name,
                row.organisation,
                ROLE_LABELS.get(row.role, row.role),
                "oui" if row.member else "non",
                REGISTRATION_LABELS[row.status],
                row.position,
                registered.astimezone(config.tz).replace(tzinfo=None),
                row.registration.source,
                *(row.registration.answers.get(k, "") for k in keys),
            ]
        )
    return headers, table


def _write_csv(file: Any, headers: list[str], table: list[list[Any]]) -> None:
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in headers])
    for line in table:
        writer.writerow(
            [
                v.strftime(SPREADSHEET_TIME)
                if isinstance(v, datetime)
                else ("" if v is None else safe_cell(v))
                for v in line
            ]
        )


def _write_xlsx(path: Path, title: str, headers: list[str], table: list[list[Any]]) -> None:
    # Imported here: openpyxl takes a third of a second to load, which every `hub` command
    # would pay otherwise.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Inscriptions"
    append_xlsx_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in table:
        append_xlsx_row(sheet, line)
    time_column = headers.index("Inscrit(e) le") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=time_column, max_col=time_column):
        cell.number_format = "dd/mm/yyyy hh:mm"
    sheet.freeze_panes = "A2"
    # The table starts at A1: the n-th column is column n (a merged cell knows no letter).
    for number, column in enumerate(sheet.columns, start=1):
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[get_column_letter(number)].width = min(max(width + 2, 10), 60)
    book.properties.title = title
    book.save(path)


@events_group.command("registrations")
@click.argument("event_ref", metavar="EVENT")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="csv",
    show_default=True,
    help="csv (sortie standard ou --out) ou xlsx (demande --out).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier à écrire (CSV en UTF-8 avec BOM, pour Excel).",
)
@click.option(
    "--status",
    type=click.Choice([*REGISTRATION_STATUSES, "all"]),
    help="Seulement les inscriptions dans cet état (par défaut : toutes sauf les annulées ; "
    "all : toutes).",
)
@pass_hub
@run_async
async def registrations_command(
    hub: HubContext, event_ref: str, fmt: str, out: Path | None, status: str | None
) -> None:
    """Exporte les inscriptions d'un événement : personne, statut, position en liste
    d'attente, date d'inscription (heure de Paris), une colonne par question."""
    config = hub.config
    if fmt == "xlsx" and out is None:
        raise UserError("--format xlsx écrit un fichier : ajoutez --out inscriptions.xlsx")
    async with event_service(hub) as events:
        event = await events.get(event_ref)
        rows = await events.registrations(event.id)
    if status != "all":
        rows = [r for r in rows if r.status == status or (not status and r.status != "cancelled")]
    if event.purged_at:
        click.echo(
            f"Les données des inscrits ont été effacées le {paris_time(config, event.purged_at)} ; "
            "« hub events show » donne les chiffres gardés.",
            err=True,
        )
    headers, table = _spreadsheet(config, event, rows)
    if out is None:
        _write_csv(sys.stdout, headers, table)
        return
    try:
        create_private_file(out)  # people's answers: readable by staff's own user only
        if fmt == "xlsx":
            _write_xlsx(out, event.title, headers, table)
        else:
            with out.open("w", encoding="utf-8-sig", newline="") as file:  # BOM: Excel
                _write_csv(file, headers, table)
    except OSError as exc:
        raise UserError(f"{out} : écriture impossible ({exc.strerror})") from None
    click.echo(f"{french_number(len(table))} inscription(s) de « {event.title} » exportée(s) :")
    click.echo(str(out))
