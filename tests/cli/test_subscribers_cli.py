"""`hub subscribers …` run as staff run them: the real command (in this process, and in a
subprocess where stdin matters)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import stat
from pathlib import Path

import pytest

from hub.config import load_config
from hub.db import Database
from hub.delivery import record_events
from hub.subscribers.service import Subscribers
from tests.cli.conftest import HubRunner


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def add(hub: HubRunner, email: str, *args: str) -> int:
    result = hub("subscribers", "add", email, *args)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_import_prints_summary_and_report_path(hub: HubRunner, tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "contacts.csv",
        "email;prénom;nom\nmarie@exemple.fr;Marie;Dupont\npas-une-adresse;Bob;Petit\n"
        "luc@exemple.fr;Luc;Roy\n",
    )
    report_path = tmp_path / "refus.csv"
    result = hub(
        "subscribers", "import", str(source), "--list", "bimestrielle", "--report", str(report_path)
    )
    assert result.returncode == 0, result.stderr
    assert "3 ligne(s) lue(s)" in result.stdout
    assert "2 nouvelle(s) inscription(s)" in result.stdout
    assert "1 ligne(s) refusée(s)" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == str(report_path)
    assert "il manque le @" in report_path.read_text(encoding="utf-8")

    again = hub("subscribers", "import", str(source), "--list", "bimestrielle", "--json")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert (data["imported"], data["already"], data["rejected"]) == (0, 2, 1)
    assert data["report_path"] == str(tmp_path / "contacts.rejets.csv")


def test_a_report_that_cannot_be_written_names_the_report_option(
    hub: HubRunner, tmp_path: Path
) -> None:
    source = write_csv(
        tmp_path / "contacts.csv", "email;prénom\nmarie@exemple.fr;Marie\npas-une-adresse;Bob\n"
    )
    where = tmp_path / "pas-de-dossier" / "refus.csv"  # its folder does not exist

    result = hub(
        "subscribers", "import", str(source), "--list", "bimestrielle", "--report", str(where)
    )

    assert result.returncode == 2
    assert result.stderr.startswith(f"Erreur : {where} : impossible d'écrire le rapport")
    assert "choisissez un autre chemin avec --report et relancez l'import" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02PK binary", "pas un fichier texte"),
        ("email\né@exemple.fr\n".encode("latin-1"), "UTF-8"),
        (b"nom,prenom\nDupont,Marie\n", "pas de colonne email"),
    ],
)
def test_unusable_file_exits_2_in_french(
    hub: HubRunner, tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "mauvais.csv"
    source.write_bytes(content)
    result = hub("subscribers", "import", str(source), "--list", "bimestrielle")
    assert result.returncode == 2
    assert result.stderr.startswith("Erreur : ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_add_prints_the_id_last_and_export(hub: HubRunner, tmp_path: Path) -> None:
    first = add(
        hub,
        "Jeanne@Exemple.fr",
        "--list",
        "bimestrielle",
        "--list",
        "adherents-flash",
        "--first-name",
        "Jeanne",
        "--organisation",
        "CPTS du Val",
        "--role",
        "Élue",
        "--member",
    )
    second = add(hub, "paul@exemple.fr", "--list", "bimestrielle")
    assert first != second

    json_result = hub("subscribers", "add", "paul@exemple.fr", "--list", "bimestrielle", "--json")
    assert json_result.returncode == 0, json_result.stderr
    record = json.loads(json_result.stdout)
    assert record["subscriber"]["id"] == second
    assert record["outcomes"] == [{"list": "bimestrielle", "status": "already"}]

    refused = hub("subscribers", "add", "luc@exemple.fr", "--list", "adherents-flash")
    assert refused.returncode == 2 and "réservée aux adhérents" in refused.stderr
    bad_role = hub("subscribers", "add", "luc@exemple.fr", "--list", "bimestrielle", "--role", "x")
    assert bad_role.returncode == 2 and "rôle inconnu" in bad_role.stderr

    exported = hub("subscribers", "export", "--list", "bimestrielle")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["email"], r["status"]) for r in rows] == [
        ("jeanne@exemple.fr", "confirmed"),
        ("paul@exemple.fr", "confirmed"),
    ]
    assert (rows[0]["organisation"], rows[0]["role"], rows[0]["member"]) == (
        "CPTS du Val",
        "elu",
        "oui",
    )
    assert len(rows[0]["subscribed_at"]) == len("2026-12-01 09:30")

    output = tmp_path / "export.csv"
    to_file = hub("subscribers", "export", "--list", "adherents-flash", "--output", str(output))
    assert to_file.returncode == 0, to_file.stderr
    assert to_file.stdout.strip().splitlines()[-1] == str(output)
    with output.open(encoding="utf-8-sig") as file:
        assert [r["email"] for r in csv.DictReader(file)] == ["jeanne@exemple.fr"]


def test_an_export_carries_no_live_formula_and_imports_back_as_it_was(
    hub: HubRunner, tmp_path: Path
) -> None:
    name, organisation = '=HYPERLINK("https://piege.test","Cliquez")', "+33 CPTS"
    add(hub, "eve@exemple.fr", "--list", "bimestrielle", "--first-name", name)
    add(hub, "leo@exemple.fr", "--list", "bimestrielle", "--organisation", organisation)
    output = tmp_path / "export.csv"

    assert (
        hub("subscribers", "export", "--list", "bimestrielle", "--output", str(output)).returncode
        == 0
    )
    stdout = hub("subscribers", "export", "--list", "bimestrielle").stdout

    data = output.read_bytes()
    assert b'"\'=HYPERLINK(""https://piege.test"",""Cliquez"")"' in data
    assert b",'+33 CPTS," in data and b",=" not in data and b",+" not in data
    assert "\"'=HYPERLINK(" in stdout and ",'+33 CPTS," in stdout
    imported = hub("subscribers", "import", str(output), "--list", "bimestrielle")
    assert imported.returncode == 0, imported.stderr
    shown = json.loads(hub("subscribers", "show", "eve@exemple.fr", "--json").stdout)
    assert shown["person"]["first_name"] == name  # the apostrophe was the export's, not hers
    shown = json.loads(hub("subscribers", "show", "leo@exemple.fr", "--json").stdout)
    assert shown["person"]["organisation"] == organisation


def test_show_unsubscribe_and_forget(hub: HubRunner, hub_process: HubRunner) -> None:
    add(hub, "zoe@exemple.fr", "--list", "bimestrielle", "--list", "adherents-flash", "--member")

    shown = hub("subscribers", "show", "ZOE@exemple.fr", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["person"]["email"] == "zoe@exemple.fr"
    assert {s["list"]: s["status"] for s in data["subscriptions"]} == {
        "adherents-flash": "confirmed",
        "bimestrielle": "confirmed",
    }
    assert {c["source"] for c in data["consents"]} == {"cli"}
    # The proof says what staff said, with a version of its own (not the web form's).
    assert {c["consent_text"] for c in data["consents"]} == {
        "Inscription saisie par l'équipe de la FCPTS, sans précision sur le recueil de l'accord"
    }
    assert all(re.fullmatch(r"cli-\d{4}-\d\d-\d\d", c["consent_version"]) for c in data["consents"])

    readable = hub("subscribers", "show", "zoe@exemple.fr")
    assert "Flash FCPTS (adherents-flash) : inscrit(e)" in readable.stdout
    assert "Adresse non bloquée." in readable.stdout

    withdrawn = hub("subscribers", "set", "zoe@exemple.fr", "--not-member", "--note", "fin 2026")
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "zoe@exemple.fr est désormais non adhérent(e)." in withdrawn.stdout
    assert "réservées aux adhérents : Flash FCPTS (adherents-flash)" in withdrawn.stdout
    shown = hub("subscribers", "show", "zoe@exemple.fr")
    assert "adhésion retirée par équipe (ligne de commande) : « fin 2026 »" in shown.stdout
    assert "Flash FCPTS (adherents-flash) : désinscrit(e)" in shown.stdout
    granted = hub("subscribers", "set", "zoe@exemple.fr", "--member")
    assert granted.returncode == 0 and "désormais adhérent(e)" in granted.stdout
    neither = hub("subscribers", "set", "zoe@exemple.fr")
    assert neither.returncode == 2 and "--not-member" in neither.stderr

    one = hub("subscribers", "unsubscribe", "zoe@exemple.fr", "--list", "bimestrielle")
    assert one.returncode == 0 and "La lettre bimestrielle" in one.stdout
    rest = hub("subscribers", "unsubscribe", "zoe@exemple.fr")
    assert rest.returncode == 0 and "n'était inscrit(e) à aucune" in rest.stdout
    unknown = hub("subscribers", "unsubscribe", "inconnu@exemple.fr")
    assert unknown.returncode == 2 and "aucun abonné" in unknown.stderr

    # A real process whose stdin is closed: no « oui ».
    declined = hub_process("subscribers", "forget", "zoe@exemple.fr")
    assert declined.returncode == 1 and "annulé" in declined.stderr

    # « effacées » is only said of a known person: the declined erasure kept her.
    forgotten = hub("subscribers", "forget", "zoe@exemple.fr", "--yes")
    assert forgotten.returncode == 0 and "effacées" in forgotten.stdout
    after = hub("subscribers", "show", "zoe@exemple.fr")
    assert "Aucune donnée" in after.stdout and "liste de blocage" in after.stdout
    again = hub("subscribers", "add", "zoe@exemple.fr", "--list", "bimestrielle")
    assert again.returncode == 2 and "adresse bloquée" in again.stderr


def test_forgetting_an_unknown_address_blocks_nobody_unless_asked(hub: HubRunner) -> None:
    # No prompt either: nothing is erased (stdin is closed, as in a script).
    typo = hub("subscribers", "forget", "jamais@exemple.fr")
    assert typo.returncode == 0, typo.stderr
    assert "Rien n'est enregistré sous jamais@exemple.fr : rien à effacer." in typo.stdout
    assert "« hub subscribers forget jamais@exemple.fr --block »" in typo.stdout
    shown = hub("subscribers", "show", "jamais@exemple.fr")
    assert "liste de blocage" not in shown.stdout
    added = hub("subscribers", "add", "jamais@exemple.fr", "--list", "bimestrielle")
    assert added.returncode == 0, added.stderr

    asked = hub("subscribers", "forget", "personne@exemple.fr", "--block", "--yes")
    assert asked.returncode == 0, asked.stderr
    assert "ajoutée à la liste de blocage" in asked.stdout
    refused = hub("subscribers", "add", "personne@exemple.fr", "--list", "bimestrielle")
    assert refused.returncode == 2 and "adresse bloquée" in refused.stderr
    again = hub("subscribers", "forget", "personne@exemple.fr")
    assert "déjà sur la liste de blocage" in again.stdout


def test_a_changed_secret_key_stops_the_command_in_french(
    hub: HubRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(hub, "zoe@exemple.fr", "--list", "bimestrielle")
    monkeypatch.setenv("HUB_SECRET_KEY", "nmLzaqt-gooxiVWKpx_-3fKfiWOJVMQx_cD8ujFp078")

    refused = hub("subscribers", "show", "zoe@exemple.fr")

    assert refused.returncode == 2
    assert "Remettez la valeur d'origine de HUB_SECRET_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr


def add_history(config_path: Path, email: str) -> None:
    """A newsletter sent to `email`, a provider's bounce about it, and the suppression."""
    config = load_config(config_path, env={})
    now = "2026-12-01T08:00:00+00:00"

    async def run() -> None:
        async with await Database.open(config.database_path) as db:
            service = Subscribers(db, config)
            person = await service.find(email)
            assert person is not None
            async with db.transaction():
                await db.conn.execute(
                    "INSERT INTO campaigns (id, edition, issue_number, list, subject, html, text,"
                    " status, created_at, updated_at) VALUES (5, 'bimestrielle', 3,"
                    " 'bimestrielle', 'La lettre n°3', 'x', 'x', 'sent', ?, ?)",
                    (now, now),
                )
                await db.conn.execute(
                    "INSERT INTO send_log (id, campaign_id, batch_seq, subscriber_id, email,"
                    " status, updated_at) VALUES (9, 5, 0, ?, ?, 'accepted', ?)",
                    (person.id, email, now),
                )
            await record_events(
                db,
                config,
                [
                    {
                        "event": "bounce",
                        "type": "bounce",
                        "sg_event_id": "b1",
                        "email": email,
                        "send_log_id": "9",
                        "reason": "550 unknown",
                        "timestamp": 1_796_000_000,
                    }
                ],
            )

    asyncio.run(run())


def test_show_speaks_french_not_codes(hub: HubRunner, config_path: Path) -> None:
    add(hub, "rebond@exemple.fr", "--list", "bimestrielle")
    add_history(config_path, "rebond@exemple.fr")

    shown = hub("subscribers", "show", "rebond@exemple.fr")

    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "La lettre bimestrielle (bimestrielle) : adresse en erreur (rebond)" in out
    assert "— La lettre bimestrielle (bimestrielle) — inscription par équipe" in out
    assert "« La lettre n°3 » (campagne 5) : accepté par le fournisseur" in out
    assert " : rebond (campagne 5) — définitif : 550 unknown" in out
    assert "(motif : rebond (adresse inexistante ou refusée))" in out
    for code in ("accepted", "bounce", "confirmed", "subscribe", "par cli"):
        assert code not in out, code


def test_a_withdrawn_membership_says_which_registrations_it_cancelled(hub: HubRunner) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    day = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=40)).date()
    created = hub(
        "events", "create", "--title", "Réunion flash : le numérique", "--kind", "reunion-flash",
        "--start", f"{day} 09:00", "--end", f"{day} 11:00", "--publish", "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    slug = json.loads(created.stdout)["slug"]
    registered = hub(
        "events", "register", slug, "zoe@exemple.fr", "--role", "salarié", "--member"
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr

    withdrawn = hub("subscribers", "set", "zoe@exemple.fr", "--not-member")
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "zoe@exemple.fr est désormais non adhérent(e)." in withdrawn.stdout
    assert "Inscription(s) annulée(s), l'événement étant réservé" in withdrawn.stdout
    assert "« Réunion flash : le numérique »" in withdrawn.stdout
    # The person is told at once, not when `hub run` next delivers.
    assert "E-mails envoyés : 1" in withdrawn.stdout
    told = hub("outbox", "show", "--to", "zoe@exemple.fr")
    assert "Inscription annul" in told.stdout, told.stdout[-400:]
    seated = hub("events", "registrations", slug)  # the current ones
    assert seated.returncode == 0, seated.stderr
    assert "zoe@exemple.fr" not in seated.stdout
    everyone = hub("events", "registrations", slug, "--status", "cancelled")
    assert "zoe@exemple.fr" in everyone.stdout


def test_an_export_of_subscribers_is_readable_by_its_owner_only(
    hub: HubRunner, tmp_path: Path
) -> None:
    add(hub, "eve@exemple.fr", "--list", "bimestrielle")
    output = tmp_path / "export.csv"
    previous = os.umask(0o022)
    try:
        exported = hub("subscribers", "export", "--list", "bimestrielle", "--output", str(output))
        assert exported.returncode == 0, exported.stderr
    finally:
        os.umask(previous)
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
