"""CSV import on a real SQLite file: every good row in, every bad row explained in the report."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from hub.config import Config, ConfigError
from hub.db import Database
from hub.errors import UserError
from hub.events.service import Events
from hub.privacy import Privacy
from hub.subscribers.importer import ReportNotWritten, import_csv
from hub.subscribers.service import Consent, Person, Subscribers

HEADER = "email,first_name,last_name,organisation,role,member\n"
# Line numbers in comments: the header is line 1.
MIXED = (
    HEADER
    + "alice@exemple.fr,Alice,Durand,CPTS A,salariée,oui\n"  # 2 imported
    + "pas-une-adresse,Bob,Petit,CPTS B,autre,oui\n"  # 3 bad syntax
    + ",Carl,Roy,CPTS C,autre,oui\n"  # 4 empty email
    + "ALICE@Exemple.fr,Alice,D.,CPTS A,autre,oui\n"  # 5 duplicate of 2
    + "dan@exemple.fr,Dan,Blanc,CPTS D,stagiaire,oui\n"  # 6 bad role
    + "eve@exemple.fr,Eve,Noir,CPTS E,autre,peut-être\n"  # 7 bad member value
    + "fred@exemple.fr,Fred,Vert,CPTS F,partenaire,non\n"  # 8 not a member
    + "gus@exemple.fr,Gus,Gris,CPTS G,autre,oui,en trop\n"  # 9 too many columns
    + "hugo@exemple.fr,Hugo,Brun\n"  # 10 too few columns
    + "parti@exemple.fr,Paul,Ti,CPTS P,autre,oui\n"  # 11 unsubscribed before
    + "bloque@exemple.fr,Bea,Loque,CPTS Q,autre,oui\n"  # 12 suppressed
    + "  Ines.Roux@Exemple.FR ,Inès,Roux,CPTS I,Élue,VRAI\n"  # 13 imported
    + "\n"  # 14 blank: ignored
    + 'jo@exemple.fr,Jo,Lin,"CPTS du Nord, Lille",Coordinatrice,1\n'  # 15 imported
    + 'kim@exemple.fr,Kim,Lee,"CPTS\nsur deux lignes",directeur,yes\n'  # 16-17 imported
    + "luc@exemple.fr,Luc,Mas,CPTS L,,true\n"  # 18 imported
)
LIST = "adherents-flash"


async def show(service: Subscribers, email: str) -> dict[str, Any] | None:
    """What `hub subscribers show --json` prints for `email` (the GDPR access, `Privacy`)."""
    privacy = Privacy(service.db, service.config, service, Events(service.db, service.config))
    return (await privacy.show(email)).as_json()


@pytest.fixture
def service(db: Database, config: Config, monkeypatch: pytest.MonkeyPatch) -> Subscribers:
    return Subscribers(db, config)


async def snapshot(db: Database) -> dict[str, list[tuple[object, ...]]]:
    tables = {}
    for table in ("subscribers", "subscriptions", "consents", "suppressions"):
        async with db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2") as cursor:
            tables[table] = [tuple(row) for row in await cursor.fetchall()]
    return tables


def read_report(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file, delimiter=delimiter))


async def prepare_departed_and_blocked(service: Subscribers) -> None:
    await service.subscribe(
        Person("parti@exemple.fr", member=True), [LIST], Consent("web", "ok", "1"), confirmed=True
    )
    parti = await service.find("parti@exemple.fr")
    assert parti is not None
    await service.unsubscribe(parti.id, "*", "web")
    await service.suppress("bloque@exemple.fr", "complaint")


async def test_every_kind_of_bad_row_is_reported_and_good_rows_are_in(
    service: Subscribers, db: Database, tmp_path: Path, config: Config
) -> None:
    await prepare_departed_and_blocked(service)
    source = tmp_path / "adherents.csv"
    source.write_text(MIXED, encoding="utf-8")
    handled: list[int] = []

    report = await import_csv(service, source, LIST, None, progress=handled.append, chunk_rows=2)

    assert (report.total, report.imported, report.already, report.confirmed) == (15, 5, 0, 0)
    assert (report.skipped, report.rejected, report.created, report.updated) == (2, 8, 5, 0)
    assert sum(handled) == 15 and len(handled) > 1
    assert report.report_path == tmp_path / "adherents.rejets.csv"
    header = report.report_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "ligne,motif," + HEADER.strip()  # in French, then the file's own columns
    rows = read_report(report.report_path)
    reasons = {int(r["ligne"]): r["motif"] for r in rows}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "pas-une-adresse" in reasons[3] and "il manque le @" in reasons[3]
    assert reasons[4] == "adresse e-mail vide"
    assert reasons[5] == "doublon de la ligne 2"
    assert "rôle inconnu « stagiaire »" in reasons[6] and "coordinatrice" in reasons[6]
    assert "« peut-être »" in reasons[7] and "oui ou non" in reasons[7]
    assert "réservée aux adhérents" in reasons[8] and "Flash FCPTS" in reasons[8]
    assert reasons[9].startswith("7 colonne(s) au lieu de 6")
    assert reasons[10].startswith("3 colonne(s) au lieu de 6")
    assert "désinscrit" in reasons[11]
    assert "bloquée" in reasons[12]
    # The row as it was in the file follows the line and the reason.
    by_line = {int(r["ligne"]): r for r in rows}
    assert by_line[6]["email"] == "dan@exemple.fr" and by_line[6]["role"] == "stagiaire"

    people = {r["email"]: r for r in await service.export(LIST, "confirmed")}
    assert sorted(people) == [
        "alice@exemple.fr",
        "ines.roux@exemple.fr",
        "jo@exemple.fr",
        "kim@exemple.fr",
        "luc@exemple.fr",
    ]
    assert (people["alice@exemple.fr"]["role"], people["alice@exemple.fr"]["last_name"]) == (
        "salarie",
        "Durand",
    )
    assert (
        people["ines.roux@exemple.fr"]["first_name"],
        people["ines.roux@exemple.fr"]["role"],
    ) == (
        "Inès",
        "elu",
    )
    assert people["jo@exemple.fr"]["organisation"] == "CPTS du Nord, Lille"
    assert people["jo@exemple.fr"]["role"] == "coordinateur"
    assert people["kim@exemple.fr"]["organisation"] == "CPTS\nsur deux lignes"
    assert people["luc@exemple.fr"]["role"] == "autre"
    assert all(p["member"] for p in people.values())
    # Nothing at all is stored for refused rows; the departed person is still unsubscribed.
    for email in ("fred@exemple.fr", "dan@exemple.fr", "eve@exemple.fr", "gus@exemple.fr"):
        assert await service.find(email) is None
    parti = await service.find("parti@exemple.fr")
    assert parti is not None and await service.subscriptions(parti.id) == {LIST: "unsubscribed"}
    assert await service.find("bloque@exemple.fr") is None

    shown = await show(service, "kim@exemple.fr")
    assert shown is not None
    assert [(c["action"], c["source"]) for c in shown["consents"]] == [
        ("subscribe", "import"),
        ("confirm", "import"),
    ]
    consent = shown["consents"][0]
    assert "adherents.csv" in consent["consent_text"] and "FCPTS" in consent["consent_text"]
    # Nothing given: the text says so; the version is the import's, not the web form's.
    assert "sans précision sur le recueil de l'accord" in consent["consent_text"]
    assert re.fullmatch(r"import-\d{4}-\d\d-\d\d", consent["consent_version"])


async def test_an_accented_address_is_refused_with_its_reason(
    service: Subscribers, tmp_path: Path
) -> None:
    source = tmp_path / "liste.csv"
    source.write_text(HEADER + "José@cpts.fr,José,Martin,CPTS J,autre,oui\n", encoding="utf-8")

    report = await import_csv(service, source, LIST, None)

    assert (report.imported, report.rejected) == (0, 1)
    assert report.report_path is not None
    (row,) = read_report(report.report_path)
    assert "José@cpts.fr" in row["motif"] and "pas de lettre accentuée" in row["motif"]
    assert await service.find("jose@cpts.fr") is None


async def test_importing_the_same_file_twice_changes_nothing(
    service: Subscribers, db: Database, tmp_path: Path
) -> None:
    await prepare_departed_and_blocked(service)
    source = tmp_path / "adherents.csv"
    source.write_text(MIXED, encoding="utf-8")
    report_path = tmp_path / "rapport.csv"
    first = await import_csv(service, source, LIST, "Consentement recueilli au congrès 2026")
    before = await snapshot(db)

    second = await import_csv(service, source, LIST, None, report_path=report_path)

    assert await snapshot(db) == before
    assert (second.imported, second.already, second.created, second.updated) == (0, 5, 0, 0)
    assert (second.skipped, second.rejected) == (first.skipped, first.rejected)
    assert second.report_path == report_path and report_path.exists()
    shown = await show(service, "alice@exemple.fr")
    assert shown is not None
    assert {(c["consent_text"], c["consent_version"][:7]) for c in shown["consents"]} == {
        ("Consentement recueilli au congrès 2026", "import-")
    }


async def test_excel_file_with_bom_semicolons_and_french_headers(
    service: Subscribers, tmp_path: Path
) -> None:
    source = tmp_path / "export excel.csv"
    source.write_text(
        " Courriel ;Prénom;NOM;Structure;Rôle;Adhérent;Commentaire\n"
        "marie@exemple.fr;Marie;Lefèvre;CPTS Côte d'Opale;élu;Oui;à rappeler\n"
        "noel@exemple.fr;Noël;Gaëlle;CPTS Val;directrice;non;\n"
        "faux;x;y;z;autre;non;\n",
        encoding="utf-8-sig",
    )
    report = await import_csv(service, source, "bimestrielle", None)
    assert (report.imported, report.rejected) == (2, 1)
    marie = await service.find("marie@exemple.fr")
    assert marie is not None
    assert (marie.first_name, marie.last_name, marie.organisation, marie.role, marie.member) == (
        "Marie",
        "Lefèvre",
        "CPTS Côte d'Opale",
        "elu",
        True,
    )
    assert report.report_path == tmp_path / "export excel.rejets.csv"
    assert report.report_path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it back
    (rejected,) = read_report(report.report_path, ";")
    assert rejected["ligne"] == "4" and rejected[" Courriel "] == "faux"


async def test_known_people_are_updated_and_pending_ones_confirmed(
    service: Subscribers, tmp_path: Path
) -> None:
    await service.subscribe(
        Person("a@exemple.fr", first_name="Ana"),
        ["bimestrielle"],
        Consent("web", "t", "1"),
        confirmed=False,
    )
    await service.save_person(Person("b@exemple.fr", "Bo", "Lo", "CPTS B", "elu", True))
    source = tmp_path / "maj.csv"
    source.write_text(
        HEADER + "a@exemple.fr,,Martin,,,\nb@exemple.fr,,,,,non\nc@exemple.fr,Cy,,,,\n",
        encoding="utf-8",
    )
    report = await import_csv(service, source, "bimestrielle", None)
    assert (report.imported, report.confirmed, report.created, report.updated) == (2, 1, 1, 1)
    assert report.rejected == 0 and report.report_path is None
    assert not (tmp_path / "maj.rejets.csv").exists()
    a = await service.find("a@exemple.fr")
    b = await service.find("b@exemple.fr")
    assert a is not None and (a.first_name, a.last_name) == ("Ana", "Martin")
    assert await service.subscriptions(a.id) == {"bimestrielle": "confirmed"}
    assert b is not None and (b.role, b.member, b.organisation) == ("elu", True, "CPTS B")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x00\x00binary", "pas un fichier texte"),
        ("email\nmarie@exemple.fr\nlé@exemple.fr\n".encode("latin-1"), "UTF-8 .*ligne 3"),
        (b"", "vide"),
        (b"\n\n  \n", "vide"),
        (b";;\n", "aucune valeur"),
        (b"nom,adresse\nMarie,marie@exemple.fr\n", r"pas de colonne email .*trouvé : nom, adresse"),
        (b"email,courriel\na@exemple.fr,b@exemple.fr\n", "deux fois"),
    ],
)
async def test_unusable_files_change_nothing(
    service: Subscribers, db: Database, tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "mauvais.csv"
    source.write_bytes(content)
    with pytest.raises(UserError, match=message):
        await import_csv(service, source, "bimestrielle", None)
    assert (await snapshot(db))["subscribers"] == []
    assert not (tmp_path / "mauvais.rejets.csv").exists()


async def test_missing_file_and_unknown_list(service: Subscribers, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="introuvable"):
        await import_csv(service, tmp_path / "absent.csv", "bimestrielle", None)
    source = tmp_path / "ok.csv"
    source.write_text(HEADER, encoding="utf-8")
    with pytest.raises(ConfigError, match="liste inconnue"):
        await import_csv(service, source, "nope", None)
    empty = await import_csv(service, source, "bimestrielle", None)
    assert empty.total == 0 and empty.report_path is None


async def test_unclosed_quote_is_reported_on_its_line(service: Subscribers, tmp_path: Path) -> None:
    source = tmp_path / "guillemet.csv"
    source.write_text(
        HEADER + 'a@exemple.fr,"Ana,Lo,CPTS,autre,non\nb@exemple.fr,Bo,Li,CPTS,autre,non\n',
        encoding="utf-8",
    )
    report = await import_csv(service, source, "bimestrielle", None)
    assert report.rejected == 1 and report.report_path is not None
    (row,) = read_report(report.report_path)
    assert row["ligne"] == "2" and "guillemet n'est pas refermé" in row["motif"]


async def test_field_too_large_for_csv_is_a_french_error(
    service: Subscribers, db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "enorme.csv"
    source.write_text(HEADER + 'a@exemple.fr,"' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(UserError, match="guillemet n'est sans doute pas refermé"):
        await import_csv(service, source, "bimestrielle", None)
    assert (await snapshot(db))["subscribers"] == []


async def test_the_report_carries_no_live_formula_and_imports_back(
    service: Subscribers, tmp_path: Path
) -> None:
    source = tmp_path / "piege.csv"
    source.write_text(
        HEADER + '"=HYPERLINK(""https://piege.test"",""x"")",@Eve,-Noir,+CPTS,autre,oui\n'
        "zoe@exemple.fr,=1+1,Lin,CPTS Z,stagiaire,oui\n",
        encoding="utf-8",
    )

    report = await import_csv(service, source, LIST, None)

    assert report.rejected == 2 and report.report_path is not None
    lines = report.report_path.read_bytes().decode("utf-8").splitlines()[1:]
    assert lines[0].startswith("2,")
    assert lines[0].endswith(
        ',"\'=HYPERLINK(""https://piege.test"",""x"")",\'@Eve,\'-Noir,\'+CPTS,autre,oui'
    )
    assert lines[1].endswith(",zoe@exemple.fr,'=1+1,Lin,CPTS Z,stagiaire,oui")
    # Fixed in the report (the role), imported again: the names are hers, without the mark.
    fixed = report.report_path.read_text(encoding="utf-8").replace("stagiaire", "autre")
    report.report_path.write_text(fixed, encoding="utf-8")
    again = await import_csv(service, report.report_path, LIST, None, report_path=tmp_path / "r")
    assert again.imported == 1
    zoe = await service.find("zoe@exemple.fr")
    assert zoe is not None and zoe.first_name == "=1+1"


async def test_a_report_that_cannot_be_written_is_a_typed_error_naming_no_command(
    service: Subscribers, db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "adherents.csv"
    source.write_text(MIXED, encoding="utf-8")
    where = tmp_path / "un-dossier"
    where.mkdir()

    with pytest.raises(ReportNotWritten) as caught:
        await import_csv(service, source, LIST, None, report_path=where)

    assert caught.value.path == where
    message = str(caught.value)
    assert message.startswith(f"{where} : impossible d'écrire le rapport des lignes refusées (")
    assert "les lignes valides sont importées" in message
    assert "--" not in message and "hub " not in message
    # The valid rows are in (the five of the first test, and the two it had made leave).
    assert len((await snapshot(db))["subscribers"]) == 7
