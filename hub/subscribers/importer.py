"""CSV import of subscribers by staff: every good row in, every bad one explained.

The file is read and decoded whole before anything is stored, so a file that cannot be used
(binary, not UTF-8, no `email` column) changes nothing. Rows are then checked one by one and
stored in chunks, each chunk one transaction through `Subscribers.subscribe_many`: the same
rules as a single subscription, in a few set-wide queries per chunk. Rows refused (bad data) or
skipped (the person left the list, or the address is blocked) are written to a report CSV with
their line number and the reason, in French. Importing the same file again changes nothing: its
rows are then "already" subscribed.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from hub.errors import UserError
from hub.exports import safe_cell, unescape_cell
from hub.subscribers.service import (
    ROLES,
    InvalidEmail,
    Person,
    Subscribed,
    Subscribers,
    normalise_email,
    staff_consent,
)

CHUNK_ROWS = 5000
FIELDS = ("email", "first_name", "last_name", "organisation", "role", "member")
# Header names accepted for each field, compared without case, accents or surrounding spaces.
_HEADER_NAMES = {
    "email": ("email", "e-mail", "courriel", "mail", "adresse e-mail"),
    "first_name": ("first_name", "prenom"),
    "last_name": ("last_name", "nom"),
    "organisation": ("organisation", "organization", "structure"),
    "role": ("role",),
    "member": ("member", "adherent"),
}
_ROLE_SPELLINGS = {
    "salarie": "salarie",
    "salariee": "salarie",
    "elu": "elu",
    "elue": "elu",
    "coordinateur": "coordinateur",
    "coordinatrice": "coordinateur",
    "directeur": "coordinateur",
    "directrice": "coordinateur",
    "partenaire": "partenaire",
    "autre": "autre",
    "": "autre",
}
_ROLES_HELP = (
    "salarié, élu, coordinateur (ou coordinatrice, directeur, directrice), partenaire, autre"
)
_MEMBER_VALUES = {
    **dict.fromkeys(("oui", "true", "1", "yes", "vrai"), True),
    **dict.fromkeys(("non", "false", "0", "no", "faux", ""), False),
}
_DELIMITERS = (",", ";", "\t")
REPORT_COLUMNS = ("ligne", "motif")  # before the row's own columns in the report
_EMPTY = "une ligne d'en-tête (email,first_name,…) puis une ligne par personne"
assert set(_ROLE_SPELLINGS.values()) == set(ROLES)


@dataclass
class ImportReport:
    """What an import did, row by row counted once."""

    file: Path
    list: str
    total: int = 0  # data rows read (blank lines aside)
    imported: int = 0  # subscriptions created (or started again)
    confirmed: int = 0  # pending subscriptions now confirmed
    already: int = 0  # already on the list: nothing changed
    skipped: int = 0  # left the list before, or address blocked: not subscribed
    rejected: int = 0  # unusable rows
    created: int = 0  # new people
    updated: int = 0  # known people whose details changed
    report_path: Path | None = None  # rejected and skipped rows, when there are any

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "list": self.list,
            "total": self.total,
            "imported": self.imported,
            "confirmed": self.confirmed,
            "already": self.already,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "created": self.created,
            "updated": self.updated,
            "report_path": str(self.report_path) if self.report_path else None,
        }


# Rows for the report file: (line, reason, the row as read).
_Problems = list[tuple[int, str, list[str]]]


@lru_cache(maxsize=1024)
def _plain(text: str) -> str:
    """Lower case without accents or surrounding spaces: how names and values are compared."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _read_text(path: Path) -> tuple[str, bool]:
    """The decoded file and whether it started with a BOM; a UserError if it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} : fichier introuvable") from None
    except IsADirectoryError:
        raise UserError(f"{path} : c'est un dossier ; indiquez un fichier CSV") from None
    except OSError as exc:
        raise UserError(f"{path} : lecture impossible ({exc.strerror})") from None
    if b"\x00" in data[:65536]:
        raise UserError(
            f"{path} : ce n'est pas un fichier texte (un classeur Excel ?) ; dans votre tableur, "
            "choisissez « Enregistrer sous » > « CSV UTF-8 » puis importez ce fichier"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path} : le fichier n'est pas encodé en UTF-8 (caractère illisible ligne {line}) ; "
            "dans Excel, « Enregistrer sous » > « CSV UTF-8 (délimité par des virgules) », "
            "puis recommencez l'import"
        ) from None
    if not text.strip():
        raise UserError(f"{path} : le fichier est vide ; il faut au moins {_EMPTY}")
    return text, data.startswith(b"\xef\xbb\xbf")


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted field may span several lines)."""
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def parse_role(text: str) -> str | None:
    """The role key for a role as staff type it (« Élue », « coordinatrice »…); None if unknown."""
    return _ROLE_SPELLINGS.get(_plain(text))


def _checked(path: Path, rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """The rows, with the csv module's rare hard errors (a huge field after an unclosed quote)
    turned into a UserError naming the line."""
    line = 1
    try:
        for line, row in rows:
            yield line, row
    except csv.Error as exc:
        raise UserError(
            f"{path} : ligne {line + 1} ou suivante illisible ({exc}) : un guillemet n'est sans "
            "doute pas refermé ; corrigez le fichier et relancez l'import (les lignes déjà "
            "importées ne seront pas modifiées)"
        ) from None


def _header(path: Path, names: list[str]) -> tuple[int | None, ...]:
    """Each field's column (None: absent), in FIELDS order; a UserError if email is absent."""
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        plain = _plain(name)
        for key, accepted in _HEADER_NAMES.items():
            if plain in accepted:
                if key in columns:
                    raise UserError(
                        f"{path} : la colonne {key} apparaît deux fois dans l'en-tête "
                        f"(« {names[columns[key]]} » et « {name} ») ; gardez-en une seule"
                    )
                columns[key] = index
    if "email" not in columns:
        found = ", ".join(n.strip() for n in names if n.strip()) or "rien"
        raise UserError(
            f"{path} : pas de colonne email dans la première ligne (trouvé : {found}) ; la "
            f"première ligne doit nommer les colonnes : {','.join(FIELDS)} (seule email est "
            "obligatoire)"
        )
    return tuple(columns.get(key) for key in FIELDS)


def _person(row: list[str], columns: tuple[int | None, ...]) -> Person | str:
    """The person a row describes (`columns`: each field's index, in FIELDS order), or why
    it cannot be used."""
    email, first_name, last_name, organisation, role_text, member_text = [
        "" if index is None else unescape_cell(row[index].strip()).strip() for index in columns
    ]
    if not email:
        return "adresse e-mail vide"
    try:
        email = normalise_email(email)
    except InvalidEmail as exc:
        return str(exc)
    role = parse_role(role_text)
    if role is None:
        return f"rôle inconnu « {role_text} » ; rôles acceptés : {_ROLES_HELP}"
    member = _MEMBER_VALUES.get(_plain(member_text))
    if member is None:
        return f"valeur de member incomprise « {member_text} » ; attendu oui ou non (ou vide)"
    return Person(email, first_name, last_name, organisation, role, member)


def default_consent_text(service: Subscribers, path: Path) -> str:
    """The proof recorded when staff give none: who subscribed these people, from where, and
    that nothing was said of how their consent was obtained."""
    return (
        f"Inscription par l'équipe de la {service.config.federation.short_name} "
        f"(import du fichier {path.name}, sans précision sur le recueil de l'accord)"
    )


class ReportNotWritten(UserError):
    """The report of the refused rows could not be written (the valid rows are imported).
    The message names no way to choose another path: each channel adds its own (`path`)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path} : impossible d'écrire le rapport des lignes refusées ({problem}) ; "
            "les lignes valides sont importées, choisissez un autre chemin pour le rapport et "
            "relancez l'import (il ne changera rien aux lignes déjà importées)"
        )


async def import_csv(
    service: Subscribers,
    path: Path,
    list_key: str,
    consent_text: str | None,
    *,
    report_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Import a CSV file onto a list (confirmed: staff vouch for the consent).

    `progress` is called with the number of rows handled since its previous call. Each chunk
    of `chunk_rows` people is committed on its own: an import cut short is finished by
    running it again.
    """
    mailing_list = service.config.mailing_list(list_key)
    text, bom = _read_text(path)
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = max(_DELIMITERS, key=first_line.count)
    rows = _numbered(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = next((r for _, r in rows if any(c.strip() for c in r)), None)
    if header is None:
        raise UserError(
            f"{path} : le fichier ne contient aucune valeur ; il faut au moins {_EMPTY}"
        )
    columns = _header(path, header)
    consent = staff_consent(
        service.config, "import", consent_text or default_consent_text(service, path)
    )
    report = ImportReport(file=path, list=list_key)
    problems: _Problems = []
    seen: dict[str, int] = {}
    chunk: list[tuple[int, list[str], Person]] = []
    handled = 0  # rows read since the last chunk was stored

    async def store() -> None:
        nonlocal chunk, handled
        if chunk:
            results = await service.subscribe_many(
                [person for _, _, person in chunk], [list_key], consent, confirmed=True
            )
            for (line, row, _), result in zip(chunk, results, strict=True):
                _count(report, problems, result, list_key, mailing_list.name, line, row)
        if progress and handled:
            progress(handled)
        chunk, handled = [], 0

    for line, row in _checked(path, rows):
        if not "".join(row).strip():
            continue  # a blank line
        report.total += 1
        handled += 1
        if len(row) != len(header):
            hint = (
                "un guillemet n'est pas refermé"
                if any("\n" in cell for cell in row)
                else f"vérifiez les séparateurs « {delimiter} » et les guillemets"
            )
            problems.append((line, f"{len(row)} colonne(s) au lieu de {len(header)} : {hint}", row))
            continue
        person = _person(row, columns)
        if isinstance(person, str):
            problems.append((line, person, row))
        elif person.email in seen:
            problems.append((line, f"doublon de la ligne {seen[person.email]}", row))
        else:
            seen[person.email] = line
            chunk.append((line, row, person))
            if len(chunk) >= chunk_rows:
                await store()
    await store()

    report.rejected = len(problems) - report.skipped
    if problems:
        report.report_path = report_path or path.with_name(f"{path.stem}.rejets.csv")
        _write_report(report.report_path, header, problems, delimiter, bom)
    return report


def _count(
    report: ImportReport,
    problems: _Problems,
    result: Subscribed,
    list_key: str,
    list_name: str,
    line: int,
    row: list[str],
) -> None:
    """Add one stored row's result to the report."""
    (outcome,) = result.outcomes
    if result.person == "created":
        report.created += 1
    elif result.person == "updated":
        report.updated += 1
    if outcome.status == "already":
        report.already += 1
    elif outcome.status == "confirmed" and result.previous[list_key] == "pending":
        report.confirmed += 1
    elif outcome.status in ("pending", "confirmed"):
        report.imported += 1
    elif outcome.status == "members_only":
        problems.append(
            (
                line,
                f"n'est pas adhérent : la liste « {list_name} » est réservée aux adhérents "
                "(mettez oui dans la colonne member si cette personne est adhérente)",
                row,
            )
        )
    elif outcome.status == "unsubscribed":
        report.skipped += 1
        problems.append((line, "ignoré : s'est désinscrit de cette liste, non réinscrit", row))
    else:
        report.skipped += 1
        problems.append(
            (
                line,
                "ignoré : adresse bloquée (rebond, plainte, effacement RGPD ou blocage), jamais "
                "inscrite",
                row,
            )
        )


def _write_report(
    path: Path, header: list[str], problems: _Problems, delimiter: str, bom: bool
) -> None:
    """The refused and skipped rows: line and reason (`ligne`, `motif`), then the row as it was
    in the file (importing the report again ignores these two columns)."""
    try:
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
            writer = csv.writer(file, delimiter=delimiter)
            writer.writerow([*REPORT_COLUMNS, *map(safe_cell, header)])
            for line, reason, row in sorted(problems, key=lambda p: p[0]):
                writer.writerow([line, safe_cell(reason), *map(safe_cell, row)])
    except OSError as exc:
        raise ReportNotWritten(path, exc.strerror or str(exc)) from None
