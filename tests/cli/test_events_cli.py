"""`hub events …` as staff run them, on a real SQLite file, the e-mails they cause delivered
through the outbox backend. The commands run in this process (`run`, through click's runner:
a new process per command would cost a second each); the contract scripts rely on (last line,
exit codes) is checked on the real `hub` process too (`hub`)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
from datetime import datetime, time, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from openpyxl import load_workbook

from hub.cli import cli
from tests.cli.conftest import HubRunner

PARIS = ZoneInfo("Europe/Paris")
# Far enough ahead for every registration window, whatever the day the tests run.
DAY = (datetime.now(PARIS) + timedelta(days=40)).date()
START = f"{DAY} 09:00"
END = f"{DAY} 11:00"


@pytest.fixture
def run(hub: HubRunner) -> HubRunner:
    """`hub --config … ARGS` in this process, answered as the real process would be."""
    return hub


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


def create(run: HubRunner, *args: str, title: str = "Réunion flash : le numérique") -> str:
    """A published online event (reunion-flash unless --kind is given); its slug."""
    kind = () if "--kind" in args else ("--kind", "reunion-flash")
    result = run(
        "events",
        "create",
        "--title",
        title,
        *kind,
        "--start",
        START,
        "--end",
        END,
        "--publish",
        *args,
    )
    assert result.returncode == 0, result.stderr
    return last_line(result)


def register(run: HubRunner, slug: str, email: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run("events", "register", slug, email, *args)


def query(config_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(config_path.parent / "var" / "hub.sqlite3") as conn:
        return conn.execute(sql, params).fetchall()


def people(config_path: Path) -> list[str]:
    return [row[0] for row in query(config_path, "SELECT email FROM subscribers ORDER BY email")]


def unsent(config_path: Path) -> list[tuple[Any, ...]]:
    """The e-mails not delivered: none once a command that changes registrations is done."""
    return query(config_path, "SELECT kind, status FROM event_messages WHERE status != 'sent'")


def registrations_csv(run: HubRunner, slug: str, *args: str) -> list[dict[str, str]]:
    result = run("events", "registrations", slug, *args)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


# Events


def test_create_prints_a_summary_then_the_slug_alone(run: HubRunner) -> None:
    result = run(
        "events",
        "create",
        "--title",
        "Séminaire des coordinateurs",
        "--kind",
        "seminaire-coordinateurs",
        "--start",
        START,
        "--end",
        f"{DAY} 17:30",
        "--venue",
        "Maison de la Chimie",
        "--address",
        "28 rue Saint-Dominique, Paris",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    slug = lines[-1]
    assert slug == f"seminaire-des-coordinateurs-{DAY}"
    assert "brouillon" in lines[0] and "Maison de la Chimie" in result.stdout
    assert "à 9h au" in result.stdout and "à 17h30" in result.stdout  # Paris time, as typed
    assert f"hub events publish {slug}" in result.stdout

    shown = json.loads(run("events", "show", slug, "--json").stdout)
    # The kind's defaults: audience, capacity, offers, questions.
    assert shown["audience"] == "coordinateurs" and shown["capacity"] == 120
    assert shown["waitlist"] == "offer" and shown["status"] == "draft"
    assert [q["key"] for q in shown["questions"]] == ["cpts", "regime"]
    assert shown["starts_at"] == datetime.combine(DAY, time(9), PARIS).isoformat()

    as_json = run(
        "events",
        "create",
        "--title",
        "Café",
        "--kind",
        "cafe-presentation",
        "--start",
        START,
        "--end",
        END,
        "--capacity",
        "0",
        "--json",
    )
    record = json.loads(as_json.stdout)
    assert record["slug"] == f"cafe-{DAY}" and record["capacity"] is None
    assert record["audience"] == "members"


def test_a_bad_date_says_the_format_and_nothing_is_created(run: HubRunner) -> None:
    result = run(
        "events",
        "create",
        "--title",
        "X",
        "--kind",
        "reunion-flash",
        "--start",
        "04/11/2026 9h",
        "--end",
        END,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Erreur : --start :")
    assert "AAAA-MM-JJ HH:MM" in result.stderr and "Traceback" not in result.stderr

    backwards = run(
        "events",
        "create",
        "--title",
        "X",
        "--kind",
        "reunion-flash",
        "--start",
        END,
        "--end",
        START,
    )
    assert backwards.returncode == 2 and "doit venir après le début" in backwards.stderr

    unknown = run(
        "events", "create", "--title", "X", "--kind", "apero", "--start", START, "--end", END
    )
    assert unknown.returncode == 2 and "types possibles" in unknown.stderr
    assert json.loads(run("events", "list", "--all", "--json").stdout) == []

    slug = create(run)
    edit = run("events", "edit", slug, "--closes", "demain")
    assert edit.returncode == 2 and "--closes" in edit.stderr and "AAAA-MM-JJ" in edit.stderr
    nothing = run("events", "edit", slug)
    assert nothing.returncode == 2 and "rien à modifier" in nothing.stderr


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2026-02-31 09:00", "Erreur : --start : le 31 février 2026 n'existe pas"),
        ("9999-06-01 09:00", "Erreur : --start : l'année 9999 est hors limites"),
    ],
)
def test_an_impossible_or_far_date_is_refused_as_such(
    run: HubRunner, start: str, message: str
) -> None:
    args = ("--title", "X", "--kind", "reunion-flash", "--end", END)
    result = run("events", "create", *args, "--start", start)
    assert result.returncode == 2 and result.stderr.startswith(message), result.stderr
    assert json.loads(run("events", "list", "--all", "--json").stdout) == []


def test_list_shows_upcoming_events_with_their_seats(run: HubRunner) -> None:
    past_day = (datetime.now(PARIS) - timedelta(days=3)).date()
    run(
        "events",
        "create",
        "--title",
        "Passé",
        "--kind",
        "rdv-com",
        "--start",
        f"{past_day} 10:00",
        "--end",
        f"{past_day} 11:00",
    )
    slug = create(run, "--capacity", "1", "--audience", "public")
    assert register(run, slug, "a@exemple.fr").returncode == 0
    assert register(run, slug, "b@exemple.fr").returncode == 0

    listed = run("events", "list")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.strip().splitlines()
    assert "Réunion flash : le numérique" in line and "(Réunion flash)" in line
    assert "ouvert à tous" in line and "places 1/1, 1 en attente" in line
    assert "publié" in line and line.endswith(slug)
    assert "à 9h" in line

    everything = json.loads(run("events", "list", "--all", "--json").stdout)
    assert [e["title"] for e in everything] == ["Passé", "Réunion flash : le numérique"]
    assert everything[1]["counts"] == {"confirmed": 1, "waitlisted": 1}


def test_publish_opens_registrations(run: HubRunner) -> None:
    draft = run(
        "events",
        "create",
        "--title",
        "Brouillon",
        "--kind",
        "rdv-cpts",
        "--start",
        START,
        "--end",
        END,
        "--audience",
        "public",
    )
    draft_slug = last_line(draft)
    refused = register(run, draft_slug, "a@exemple.fr")
    assert refused.returncode == 3 and "pas encore publié" in last_line(refused)
    assert last_line(refused).endswith(f"; « hub events publish {draft_slug} » les ouvre")

    published = run("events", "publish", draft_slug)
    assert published.returncode == 0, published.stderr
    assert f"/evenements/{draft_slug}" in published.stdout and "publié" in published.stdout
    assert last_line(register(run, draft_slug, "a@exemple.fr")) == "confirmé"


# Registering


def test_register_says_confirmed_then_waiting_list_position(
    run: HubRunner, config_path: Path
) -> None:
    slug = create(run, "--capacity", "1", "--audience", "public")
    first = register(run, slug, "Claire@Exemple.fr", "--first-name", "Claire", "--role", "Élue")
    assert first.returncode == 0, first.stderr
    assert last_line(first) == "confirmé"
    assert "Nouvelle personne enregistrée" in first.stdout
    assert "E-mails envoyés : 1" in first.stdout
    assert last_line(register(run, slug, "luc@exemple.fr")) == "liste d'attente (position 1)"
    assert last_line(register(run, slug, "ines@exemple.fr")) == "liste d'attente (position 2)"

    again = register(run, slug, "claire@exemple.fr", "--role", "partenaire")
    assert again.returncode == 0 and last_line(again) == "confirmé"
    assert "Déjà inscrit(e)" in again.stdout and "Personne connue" in again.stdout
    # The record is the person's; registering neither changes it nor subscribes anyone.
    assert query(
        config_path, "SELECT first_name, role FROM subscribers WHERE email = ?", "claire@exemple.fr"
    ) == [("Claire", "elu")]
    assert query(config_path, "SELECT COUNT(*) FROM subscriptions") == [(0,)]
    assert query(config_path, "SELECT COUNT(*) FROM registrations") == [(3,)]
    assert unsent(config_path) == []  # delivered in the foreground

    as_json = json.loads(register(run, slug, "luc@exemple.fr", "--json").stdout)
    assert as_json["created"] is False and as_json["outcome"] == "liste d'attente (position 1)"
    assert as_json["registration"]["position"] == 1


def test_full_without_waiting_list_is_refused_with_code_3(
    run: HubRunner, config_path: Path
) -> None:
    slug = create(run, "--capacity", "1", "--waitlist", "none", "--audience", "public")
    assert last_line(register(run, slug, "a@exemple.fr")) == "confirmé"
    full = register(run, slug, "b@exemple.fr")
    assert full.returncode == 3
    assert (
        last_line(full) == "refusé : « Réunion flash : le numérique » est complet, et sans "
        "liste d'attente."
    )
    assert people(config_path) == ["a@exemple.fr"]
    refused_json = json.loads(register(run, slug, "b@exemple.fr", "--json").stdout)
    assert "complet" in refused_json["refused"]


def test_the_real_process_keeps_the_contract(hub: HubRunner) -> None:
    """What scripts read: the slug alone last, the outcome last, 3 when refused, 2 for a
    mistake."""
    slug = create(hub, "--capacity", "1", "--waitlist", "none", "--audience", "members")
    confirmed = register(hub, slug, "a@exemple.fr", "--member")
    assert (confirmed.returncode, last_line(confirmed)) == (0, "confirmé"), confirmed.stderr
    not_member = register(hub, slug, "b@exemple.fr")
    assert not_member.returncode == 3
    assert last_line(not_member) == (
        "refusé : « Réunion flash : le numérique » est réservé aux adhérents ; personne nouvelle "
        "donnée comme autre, non adhérente. Si elle en fait partie : --member"
    )
    full = register(hub, slug, "c@exemple.fr", "--member")
    assert full.returncode == 3 and "complet" in last_line(full)
    mistake = register(hub, slug, "d@exemple.fr", "--role", "stagiaire")
    assert mistake.returncode == 2 and mistake.stderr.startswith("Erreur : --role")
    assert "Traceback" not in mistake.stderr + full.stderr + not_member.stderr


def test_register_help_documents_the_exit_codes(run: HubRunner) -> None:
    result = run("events", "register", "--help")
    assert "3 refusé" in result.stdout and "2 erreur de saisie" in result.stdout


AUDIENCE_CASES = [
    # audience, eligible (role, member), ineligible (role, member) or None: nobody is
    ("public", ("autre", False), None),
    ("members", ("partenaire", True), ("salarie", False)),
    ("salaries", ("coordinateur", True), ("elu", True)),
    ("elus", ("elu", True), ("salarie", True)),
    ("salaries+elus", ("salarie", True), ("partenaire", True)),
    ("coordinateurs", ("coordinateur", True), ("coordinateur", False)),
]


def _profile(role: str, member: bool) -> list[str]:
    return ["--role", role, *(["--member"] if member else [])]


@pytest.mark.parametrize(("audience", "eligible", "ineligible"), AUDIENCE_CASES)
def test_the_audience_decides_and_a_refusal_stores_nothing(
    run: HubRunner,
    config_path: Path,
    audience: str,
    eligible: tuple[str, bool],
    ineligible: tuple[str, bool] | None,
) -> None:
    slug = create(run, "--audience", audience)
    accepted = register(run, slug, "oui@exemple.fr", *_profile(*eligible))
    assert accepted.returncode == 0, accepted.stderr
    assert last_line(accepted) == "confirmé"
    if ineligible is None:
        return
    refused = register(run, slug, "non@exemple.fr", *_profile(*ineligible), "--first-name", "N")
    assert refused.returncode == 3, refused.stderr
    assert last_line(refused).startswith("refusé : « Réunion flash : le numérique » est réservé")
    assert "Si elle en fait partie : --member" in last_line(refused)
    assert people(config_path) == ["oui@exemple.fr"]
    assert query(config_path, "SELECT COUNT(*) FROM registrations") == [(1,)]


def test_a_known_persons_record_decides_not_what_staff_type(run: HubRunner) -> None:
    added = run(
        "subscribers", "add", "paul@exemple.fr", "--list", "bimestrielle", "--role", "partenaire"
    )
    assert added.returncode == 0, added.stderr
    slug = create(run, "--audience", "elus")
    refused = register(run, slug, "paul@exemple.fr", "--role", "elu", "--member")
    assert refused.returncode == 3 and "réservé au Collectif des élus" in last_line(refused)
    # Staff read what to do, not the sentence written for the person.
    assert "écrivez-nous" not in refused.stdout
    assert (
        "la fiche de paul@exemple.fr (elle décide, pas les options) la dit partenaire, non "
        "adhérente" in last_line(refused)
    )
    assert (
        "« hub subscribers set paul@exemple.fr --member » et le rôle (élu) par un import"
        in last_line(refused)
    )


def test_a_new_person_outside_the_audience_gets_the_options_to_give(run: HubRunner) -> None:
    slug = create(run, "--audience", "salaries")
    refused = register(run, slug, "eva@exemple.fr", "--role", "partenaire")
    assert refused.returncode == 3
    assert last_line(refused).endswith(
        "personne nouvelle donnée comme partenaire, non adhérente. Si elle en fait partie : "
        "--member --role salarié (ou coordinateur)"
    )


def test_staff_may_register_outside_the_window_never_past_the_seats(run: HubRunner) -> None:
    opens = f"{DAY - timedelta(days=10)} 09:00"
    slug = create(
        run, "--audience", "public", "--opens", opens, "--capacity", "1", "--waitlist", "none"
    )
    assert last_line(register(run, slug, "tot@exemple.fr")) == "confirmé"
    assert register(run, slug, "trop@exemple.fr").returncode == 3


def test_answers_are_given_by_key_and_checked(run: HubRunner, config_path: Path) -> None:
    slug = create(
        run,
        "--kind",
        "tour-de-france",
        "--venue",
        "Lyon",
        "--audience",
        "public",
        title="Étape du Tour : Lyon",
    )
    missing = register(run, slug, "a@exemple.fr")
    assert missing.returncode == 2
    assert "réponse manquante à la question « Votre CPTS »" in missing.stderr
    assert "--answer cpts=…" in missing.stderr
    typo = register(run, slug, "a@exemple.fr", "--answer", "cpst=CPTS Sud")
    assert typo.returncode == 2 and "question inconnue" in typo.stderr and "cpts" in typo.stderr
    malformed = register(run, slug, "a@exemple.fr", "--answer", "CPTS Sud")
    assert malformed.returncode == 2 and "CLE=VALEUR" in malformed.stderr
    assert people(config_path) == []
    ok = register(
        run,
        slug,
        "a@exemple.fr",
        "--answer",
        "cpts=CPTS Sud Lyon",
        "--answer",
        "regime=sans gluten",
    )
    assert last_line(ok) == "confirmé", ok.stderr


# Leaving, accepting, editing, cancelling


def test_unregister_gives_the_seat_to_the_next_in_line(run: HubRunner, config_path: Path) -> None:
    slug = create(run, "--capacity", "1", "--audience", "public")
    for email in ("a@exemple.fr", "b@exemple.fr", "c@exemple.fr"):
        assert register(run, slug, email).returncode == 0
    result = run("events", "unregister", slug, "A@exemple.fr")
    assert result.returncode == 0, result.stderr
    assert "annulée (elle était : confirmé)" in result.stdout
    assert "Place donnée à b@exemple.fr" in result.stdout
    assert "E-mails envoyés : 2" in result.stdout  # the cancellation and the promotion
    assert unsent(config_path) == []
    again = run("events", "unregister", slug, "a@exemple.fr")
    assert again.returncode == 0 and "déjà annulée" in again.stdout
    stranger = run("events", "unregister", slug, "z@exemple.fr")
    assert stranger.returncode == 2 and "n'est pas inscrit(e)" in stranger.stderr
    rows = registrations_csv(run, slug)
    assert [(r["E-mail"], r["Statut"], r["Position en liste d'attente"]) for r in rows] == [
        ("b@exemple.fr", "confirmé", ""),
        ("c@exemple.fr", "liste d'attente", "1"),
    ]


def test_an_offered_seat_is_accepted_for_the_person(run: HubRunner) -> None:
    slug = create(
        run,
        "--mode",
        "in-person",
        "--venue",
        "Lille",
        "--capacity",
        "1",
        "--waitlist",
        "offer",
        "--offer-hours",
        "24",
        "--audience",
        "public",
    )
    register(run, slug, "a@exemple.fr")
    register(run, slug, "b@exemple.fr")
    left = run("events", "unregister", slug, "a@exemple.fr")
    assert "Place proposée à b@exemple.fr jusqu'au" in left.stdout
    rows = registrations_csv(run, slug)
    assert [(r["E-mail"], r["Statut"]) for r in rows] == [("b@exemple.fr", "place proposée")]
    accepted = run("events", "accept", slug, "b@exemple.fr")
    assert accepted.returncode == 0, accepted.stderr
    assert last_line(accepted) == "confirmé"
    nothing = run("events", "accept", slug, "a@exemple.fr")
    assert nothing.returncode == 3 and "n'est plus valable" in last_line(nothing)


def test_edit_tells_seated_registrants_of_a_new_time(run: HubRunner, config_path: Path) -> None:
    slug = create(run, "--capacity", "1", "--audience", "public")
    register(run, slug, "a@exemple.fr")
    register(run, slug, "b@exemple.fr")
    moved = run("events", "edit", slug, "--start", f"{DAY} 10:00", "--end", f"{DAY} 12:00")
    assert moved.returncode == 0, moved.stderr
    assert "à 10h au" in moved.stdout
    assert "1 personne(s) avec une place reçoivent une invitation mise à jour" in moved.stdout
    assert "E-mails envoyés : 1" in moved.stdout
    bigger = run("events", "edit", slug, "--capacity", "2", "--title", "Réunion flash (bis)")
    assert "changement d'horaire" not in bigger.stdout.lower()
    assert "Place donnée à b@exemple.fr" in bigger.stdout and "Places prises : 2/2" in bigger.stdout
    assert query(config_path, "SELECT kind FROM event_messages ORDER BY id") == [
        ("confirmed",),
        ("waitlisted",),
        ("updated",),
        ("promoted",),
    ]
    assert unsent(config_path) == []


def test_cancel_asks_first_and_says_how_many_are_told(run: HubRunner, config_path: Path) -> None:
    slug = create(run, "--capacity", "1", "--audience", "public")
    register(run, slug, "a@exemple.fr")
    register(run, slug, "b@exemple.fr")
    unanswered = run("events", "cancel", slug)
    assert unanswered.returncode == 1
    assert "2 personne(s) inscrite(s) seront prévenues" in unanswered.stderr
    assert "Annulé." in unanswered.stderr
    assert json.loads(run("events", "show", slug, "--json").stdout)["status"] == "published"

    cancelled = run("events", "cancel", slug, "--yes")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "2 personne(s) prévenue(s)" in cancelled.stdout
    assert "E-mails envoyés : 2" in cancelled.stdout
    assert unsent(config_path) == []
    late = register(run, slug, "c@exemple.fr")
    assert late.returncode == 3 and "annulé" in last_line(late)
    assert "déjà annulé" in run("events", "cancel", slug, "--yes").stdout


def test_remind_sends_now_to_confirmed_registrants(run: HubRunner, config_path: Path) -> None:
    slug = create(run, "--capacity", "2", "--audience", "public")
    nobody = run("events", "remind", slug, "--yes")
    assert nobody.returncode == 0 and "aucun rappel" in nobody.stdout
    for email in ("a@exemple.fr", "b@exemple.fr", "c@exemple.fr"):
        register(run, slug, email)
    unanswered = run("events", "remind", slug)
    assert unanswered.returncode == 1 and "à 2 personne(s) ?" in unanswered.stderr
    reminded = run("events", "remind", slug, "--yes")
    assert reminded.returncode == 0, reminded.stderr
    assert "2 destinataire(s)" in reminded.stdout and "E-mails envoyés : 2" in reminded.stdout
    sent = query(
        config_path,
        "SELECT s.email, m.status FROM event_messages AS m "
        "JOIN registrations AS r ON r.id = m.registration_id "
        "JOIN subscribers AS s ON s.id = r.subscriber_id WHERE m.kind = 'reminder' ORDER BY 1",
    )
    assert sent == [("a@exemple.fr", "sent"), ("b@exemple.fr", "sent")]
    outbox = config_path.parent / "var" / "outbox" / "transactionnel"
    subjects = [message_from_bytes(path.read_bytes())["Subject"] for path in outbox.glob("*.eml")]
    assert sum("Rappel" in str(make_header(decode_header(s))) for s in subjects) == 2
    run("events", "cancel", slug, "--yes")
    cancelled = run("events", "remind", slug, "--yes")
    assert cancelled.returncode == 2 and "annulé : aucun rappel envoyé" in cancelled.stderr


# Exports


def _jn(run: HubRunner) -> str:
    slug = create(
        run,
        "--kind",
        "journees-nationales",
        "--venue",
        "Bordeaux",
        "--capacity",
        "1",
        title="Journées Nationales",
    )
    answers = [
        "--answer",
        "profession=Infirmière",
        "--answer",
        "structure=CPTS du Médoc",
        "--answer",
        "jours=Les deux jours",
    ]
    first = register(
        run,
        slug,
        "ana@exemple.fr",
        "--first-name",
        "Ana",
        "--last-name",
        "Roy",
        "--organisation",
        "CPTS du Médoc",
        "--role",
        "salariée",
        "--member",
        *answers,
        "--answer",
        "regime=végétarien",
    )
    assert last_line(first) == "confirmé", first.stderr
    second = register(run, slug, "bob@exemple.fr", *answers[:4], "--answer", "jours=Le second jour")
    assert last_line(second) == "liste d'attente (position 1)", second.stderr
    third = register(run, slug, "cyd@exemple.fr", *answers)
    assert last_line(third) == "liste d'attente (position 2)", third.stderr
    run("events", "unregister", slug, "cyd@exemple.fr")
    return slug


def test_registrations_csv_has_answers_positions_and_paris_times(
    run: HubRunner, tmp_path: Path
) -> None:
    slug = _jn(run)
    result = run("events", "registrations", slug)
    header = result.stdout.splitlines()[0].split(",")
    assert header[:10] == [
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
    ]
    assert header[10:] == [
        "Votre profession",
        "Votre CPTS ou votre structure",
        "Vous serez présent(e)",
        "Régime alimentaire ou allergies à signaler",
    ]
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    ana, bob = rows
    assert (ana["E-mail"], ana["Statut"], ana["Position en liste d'attente"]) == (
        "ana@exemple.fr",
        "confirmé",
        "",
    )
    assert (ana["Prénom"], ana["Rôle"], ana["Adhérent(e)"]) == ("Ana", "salarié(e)", "oui")
    assert ana["Régime alimentaire ou allergies à signaler"] == "végétarien"
    assert (bob["Statut"], bob["Position en liste d'attente"]) == ("liste d'attente", "1")
    assert bob["Vous serez présent(e)"] == "Le second jour" and bob["Canal"] == "cli"
    registered = datetime.strptime(ana["Inscrit(e) le"], "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)
    assert abs(registered - datetime.now(PARIS)) < timedelta(hours=1)  # Paris, not UTC

    cancelled = registrations_csv(run, slug, "--status", "cancelled")
    assert [r["E-mail"] for r in cancelled] == ["cyd@exemple.fr"]
    assert len(registrations_csv(run, slug, "--status", "all")) == 3

    out = tmp_path / "inscrits.csv"
    written = run("events", "registrations", slug, "--out", str(out))
    assert written.returncode == 0 and last_line(written) == str(out)
    assert out.read_text(encoding="utf-8-sig") == result.stdout  # with a BOM, for Excel


def test_registrations_xlsx_reads_back(run: HubRunner, tmp_path: Path) -> None:
    slug = _jn(run)
    no_file = run("events", "registrations", slug, "--format", "xlsx")
    assert no_file.returncode == 2 and "--out" in no_file.stderr
    out = tmp_path / "inscrits.xlsx"
    result = run("events", "registrations", slug, "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert last_line(result) == str(out) and "2 inscription(s)" in result.stdout
    sheet = load_workbook(out).active
    assert sheet is not None
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][6:9] == ["Statut", "Position en liste d'attente", "Inscrit(e) le"]
    assert table[0][10] == "Votre profession"
    assert table[1][:8] == [
        "ana@exemple.fr",
        "Ana",
        "Roy",
        "CPTS du Médoc",
        "salarié(e)",
        "oui",
        "confirmé",
        None,
    ]
    assert isinstance(table[1][8], datetime)
    assert table[2][0] == "bob@exemple.fr" and table[2][6:8] == ["liste d'attente", 1]
    assert table[2][12] == "Le second jour"


# Erasure


def test_purge_erases_old_registrations_and_keeps_counts(run: HubRunner, config_path: Path) -> None:
    slug = create(run, "--capacity", "1", "--audience", "public")
    register(run, slug, "a@exemple.fr")
    register(run, slug, "b@exemple.fr")
    run("subscribers", "add", "a@exemple.fr", "--list", "bimestrielle")

    def purge(*args: str, at: datetime) -> Any:
        with time_machine.travel(at, tick=False):
            return CliRunner().invoke(cli, ["--config", str(config_path), "events", "purge", *args])

    soon = purge("--yes", at=datetime.now(PARIS) + timedelta(days=300))
    assert soon.exit_code == 0, soon.output
    assert "Aucun événement terminé depuis plus de 12 mois" in soon.output

    later = datetime.now(PARIS) + timedelta(days=450)
    dry = purge("--dry-run", at=later)
    assert "« Réunion flash : le numérique »" in dry.output and "2 inscription(s)" in dry.output
    assert "rien n'a été effacé" in dry.output
    assert query(config_path, "SELECT COUNT(*) FROM registrations") == [(2,)]
    unanswered = purge(at=later)
    assert unanswered.exit_code == 1
    assert query(config_path, "SELECT COUNT(*) FROM registrations") == [(2,)]

    done = purge("--yes", at=later)
    assert done.exit_code == 0, done.output
    assert "Effacé : 2 inscription(s) de 1 événement(s), et 1 personne(s)" in done.output
    assert people(config_path) == ["a@exemple.fr"]  # a subscriber too: stays
    assert query(config_path, "SELECT COUNT(*) FROM registrations") == [(0,)]
    shown = json.loads(run("events", "show", slug, "--json").stdout)
    assert shown["counts"] == {"confirmed": 1, "waitlisted": 1}
    export = run("events", "registrations", slug)
    assert export.stdout.count("\n") == 1 and "effacées le" in export.stderr


def test_a_persons_registrations_are_shown_and_erased_with_them(
    run: HubRunner, config_path: Path
) -> None:
    slug = create(run, "--capacity", "1")
    member = ("--role", "salarie", "--member")
    assert register(run, slug, "claire@cpts-exemple.fr", *member).returncode == 0
    assert register(run, slug, "marc@cpts-exemple.fr", *member).returncode == 0

    shown = run("subscribers", "show", "claire@cpts-exemple.fr", "--json")
    (registration,) = json.loads(shown.stdout)["registrations"]
    assert (registration["slug"], registration["status"], registration["source"]) == (
        slug,
        "confirmed",
        "cli",
    )
    readable = run("subscribers", "show", "claire@cpts-exemple.fr").stdout
    assert "Inscriptions aux événements (1) :" in readable
    assert "« Réunion flash : le numérique »" in readable and ": confirmé, par " in readable

    # Erasing her frees her seat for the next in line, as a cancellation would.
    forgotten = run("subscribers", "forget", "claire@cpts-exemple.fr", "--yes")
    assert forgotten.returncode == 0, forgotten.stderr
    assert "1 inscription(s) à des événements annulée(s)" in forgotten.stdout
    assert query(config_path, "SELECT status FROM registrations") == [("confirmed",)]
    assert people(config_path) == ["marc@cpts-exemple.fr"]


def test_registrations_exports_carry_no_live_formula(run: HubRunner, tmp_path: Path) -> None:
    slug = create(run, "--capacity", "5", "--audience", "public")
    hostile = register(
        run,
        slug,
        "eve@exemple.fr",
        "--first-name",
        '=HYPERLINK("https://piege.test","Cliquez")',
        "--last-name",
        "-2+3",
        "--organisation",
        "@SUM(A1)",
    )
    assert hostile.returncode == 0, hostile.stderr
    csv_file, xlsx_file = tmp_path / "inscrits.csv", tmp_path / "inscrits.xlsx"

    assert run("events", "registrations", slug, "--out", str(csv_file)).returncode == 0
    written = run("events", "registrations", slug, "--format", "xlsx", "--out", str(xlsx_file))
    assert written.returncode == 0, written.stderr

    line = csv_file.read_bytes().decode("utf-8-sig").splitlines()[1]
    assert line.startswith(
        'eve@exemple.fr,"\'=HYPERLINK(""https://piege.test"",""Cliquez"")",\'-2+3,\'@SUM(A1),'
    )
    sheet = load_workbook(xlsx_file).active
    assert sheet is not None
    first, last, organisation = (sheet.cell(row=2, column=c) for c in (2, 3, 4))
    assert first.value == '=HYPERLINK("https://piege.test","Cliquez")' and first.data_type == "s"
    assert (last.value, last.data_type) == ("-2+3", "s")
    assert (organisation.value, organisation.data_type) == ("@SUM(A1)", "s")


def test_the_service_errors_get_the_hint_of_the_command_line(run: HubRunner) -> None:
    """The service names no command nor option (a Discord member would read them); the CLI
    adds its own."""
    unknown = run("events", "show", "pas-un-evenement")
    assert unknown.returncode == 2
    assert "événement inconnu « pas-un-evenement »" in unknown.stderr
    assert "`hub events list` donne les identifiants" in unknown.stderr
    placeless = run(
        "events", "create", "--title", "Étape", "--kind", "tour-de-france", "--start", START,
        "--end", END,
    )  # fmt: skip
    assert placeless.returncode == 2
    assert "un événement en présentiel demande un lieu (--venue)" in placeless.stderr


def test_an_export_of_registrations_is_readable_by_its_owner_only(
    run: HubRunner, tmp_path: Path
) -> None:
    """People's answers leave the database 0600, whatever the umask (as the data files do)."""
    slug = create(run, "--capacity", "5", "--audience", "public")
    assert register(run, slug, "eve@exemple.fr").returncode == 0
    previous = os.umask(0o022)
    try:
        for fmt in ("csv", "xlsx"):
            out = tmp_path / f"inscrits.{fmt}"
            written = run("events", "registrations", slug, "--format", fmt, "--out", str(out))
            assert written.returncode == 0, written.stderr
            assert stat.S_IMODE(out.stat().st_mode) == 0o600, fmt
    finally:
        os.umask(previous)
