"""`hub subscribers import` and `export`: people in and out as CSV files, reimportable as
they are."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from hub.cli import HubContext, pass_hub, print_json, run_async
from hub.cli.subscribers.shared import list_name, local_time, subscribers_group
from hub.config import Config
from hub.errors import UserError
from hub.exports import safe_cell
from hub.files import create_private_file
from hub.subscribers.importer import ImportReport, ReportNotWritten, import_csv
from hub.subscribers.service import STATUSES

EXPORT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "organisation",
    "role",
    "member",
    "status",
    "subscribed_at",
    "confirmed_at",
)


PROGRESS_MIN_LINES = 5000


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as file:
            return sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 20), b""))
    except OSError:
        return 0  # the importer says what is wrong with the file


@contextmanager
def _progress(path: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long files read at a terminal; nothing otherwise."""
    lines = _count_lines(path) if sys.stderr.isatty() else 0
    if lines < PROGRESS_MIN_LINES:
        yield None
        return
    with click.progressbar(length=lines, label="Import", file=sys.stderr) as bar:
        yield bar.update


def _print_import(config: Config, report: ImportReport) -> None:
    click.echo(
        f"Import de « {report.file.name} » dans {list_name(config, report.list)} : "
        f"{report.total} ligne(s) lue(s)"
    )
    click.echo(f"  {report.imported} nouvelle(s) inscription(s)")
    if report.confirmed:
        click.echo(f"  {report.confirmed} inscription(s) en attente désormais confirmée(s)")
    click.echo(f"  {report.already} déjà inscrite(s) : rien de changé")
    click.echo(f"  {report.created} personne(s) créée(s), {report.updated} mise(s) à jour")
    if report.skipped:
        click.echo(
            f"  {report.skipped} ignorée(s) : personnes désinscrites de cette liste ou adresses "
            "bloquées, jamais réinscrites par un import"
        )
    if report.rejected:
        click.echo(f"  {report.rejected} ligne(s) refusée(s) : données incorrectes")
    if report.report_path:
        click.echo(
            "Les lignes refusées ou ignorées, avec leur numéro et le motif, sont dans le rapport "
            "(corrigez-les et importez ce rapport ou le fichier d'origine : rien ne sera "
            "importé deux fois) :"
        )
        click.echo(str(report.report_path))
    else:
        click.echo("Aucune ligne refusée.")


@subscribers_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--list", "list_key", required=True, help="Liste où inscrire ces personnes.")
@click.option(
    "--consent",
    help="Comment leur accord a été recueilli (texte gardé comme preuve, version "
    "import-DATE ; par défaut : « Inscription par l'équipe de la FCPTS (import du fichier …, "
    "sans précision sur le recueil de l'accord) »).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rapport des lignes refusées (par défaut FICHIER.rejets.csv à côté du fichier).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def import_command(
    hub: HubContext,
    file: Path,
    list_key: str,
    consent: str | None,
    report_path: Path | None,
    as_json: bool,
) -> None:
    """Inscrit (confirmées) les personnes d'un fichier CSV (FILE) sur une liste.

    En-tête : email,first_name,last_name,organisation,role,member (seule email est
    obligatoire ; séparateur virgule ou point-virgule, UTF-8). Les personnes désinscrites ou
    bloquées ne sont jamais réinscrites ; réimporter le même fichier ne change rien.
    """
    config = hub.config
    config.mailing_list(list_key)
    async with hub.services() as services:
        with _progress(file) as progress:
            try:
                report = await import_csv(
                    services.subscribers,
                    file,
                    list_key,
                    consent,
                    report_path=report_path,
                    progress=progress,
                )
            except ReportNotWritten as exc:
                raise UserError(
                    f"{exc.path} : impossible d'écrire le rapport des lignes refusées "
                    f"({exc.problem}) ; les lignes valides sont importées, choisissez un autre "
                    "chemin avec --report et relancez l'import (il ne changera rien aux lignes "
                    "déjà importées)"
                ) from None
    if as_json:
        print_json(report.to_json())
    else:
        _print_import(config, report)


@subscribers_group.command("export")
@click.option("--list", "list_key", required=True, help="Liste à exporter.")
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    help="Seulement les inscriptions dans cet état (confirmed : celles qui reçoivent les envois).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier CSV à écrire (par défaut : la sortie standard).",
)
@pass_hub
@run_async
async def export_command(
    hub: HubContext, list_key: str, status: str | None, output: Path | None
) -> None:
    """Exporte les inscrits d'une liste en CSV (heures de Paris), réimportable tel quel."""
    config = hub.config
    async with hub.services() as services:
        rows = await services.subscribers.export(list_key, status)
    records = [
        {
            key: safe_cell(value)
            for key, value in {
                **row,
                "member": "oui" if row["member"] else "non",
                "subscribed_at": local_time(config, row["subscribed_at"]),
                "confirmed_at": local_time(config, row["confirmed_at"]),
            }.items()
        }
        for row in rows
    ]
    if output is None:
        writer = csv.DictWriter(sys.stdout, EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return
    try:
        create_private_file(output)  # people's addresses: readable by staff's own user only
        with output.open("w", encoding="utf-8-sig", newline="") as file:  # BOM: Excel
            writer = csv.DictWriter(file, EXPORT_FIELDS)
            writer.writeheader()
            writer.writerows(records)
    except OSError as exc:
        raise UserError(f"{output} : écriture impossible ({exc.strerror})") from None
    click.echo(f"{len(records)} inscription(s) de {list_name(config, list_key)} exportée(s) :")
    click.echo(str(output))
