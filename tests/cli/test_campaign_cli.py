"""`hub campaign` as staff type it: IDs on the last line, confirmations, dry runs, French errors."""

from __future__ import annotations

import email
import email.policy
import json
import os
import pty
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.config import load_config
from hub.mail.factory import outbox_folder
from hub.timeutil import to_utc_text
from loopback.sendgrid import server_process
from tests.cli.conftest import HubRunner, subscribe

PARIS = ZoneInfo("Europe/Paris")


def test_create_prints_the_id_alone_on_its_last_line_and_json_gives_the_record(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 3)
    result = hub("campaign", "create", "--draft", str(draft))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1"
    assert "Audience actuelle : 3 abonné(s)" in result.stdout

    listed = json.loads(hub("campaign", "list", "--json").stdout)
    assert [(c["id"], c["status"], c["list"]) for c in listed] == [(1, "draft", "bimestrielle")]


def message_ids(folder: Path) -> dict[str, str]:
    """File -> Message-ID of what the outbox holds: a message sent again replaces its file
    (named after the send log row) under a new Message-ID."""
    return {
        path.name: message["Message-ID"]
        for path in folder.glob("*.eml")
        for message in [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)]
    }


def test_send_counts_asks_then_sends_once_and_reports(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    addresses = subscribe(config_path, 4)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]

    dry = hub("campaign", "send", campaign_id, "--dry-run")
    assert dry.returncode == 0 and "partirait à 4 destinataire(s)" in dry.stdout
    declined = hub("campaign", "send", campaign_id)  # no terminal to say yes: nothing is sent
    assert declined.returncode == 1
    assert "à 4 personnes (liste bimestrielle, envoi : outbox) ? [o/N]" in declined.stderr
    assert "Annulé." in declined.stderr and "Aborted" not in declined.stderr
    folder = outbox_folder(load_config(config_path, env={})) / campaign_id
    assert not folder.exists()

    sent = hub("campaign", "send", campaign_id, "--yes")
    assert sent.returncode == 0, sent.stderr
    assert "acceptés : 4" in sent.stdout and "envoyée" in sent.stdout
    first = message_ids(folder)
    assert len(first) == len(addresses)

    again = hub("campaign", "send", campaign_id, "--yes")
    assert again.returncode == 2 and "Erreur : la campagne 1 est envoyée" in again.stderr
    assert message_ids(folder) == first  # a resend would rewrite the files with new ids

    stats = json.loads(hub("campaign", "stats", campaign_id, "--json").stdout)
    assert (stats["audience"], stats["accepted"], stats["failed"]) == (4, 4, 0)
    status = json.loads(hub("campaign", "status", campaign_id, "--json").stdout)
    assert status["status"] == "sent" and status["progress"]["accepted"] == 4
    assert hub("campaign", "failures", campaign_id).stdout.strip() == "Aucun échec."


HUB = (sys.executable, "-m", "hub")


def hub_with(
    config_path: Path, *args: str, answer: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`hub` with someone typing `answer` at the prompt, with `env` added to the environment."""
    return subprocess.run(
        [*HUB, "--config", str(config_path), *args],
        input=answer + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def answering(config_path: Path, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    return hub_with(config_path, *args, answer=answer)


def test_a_provider_refusal_is_a_clear_error_not_a_traceback(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 2)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    with server_process("--api-key", "SG.la-bonne-cle") as url:
        env = {
            "HUB_MAIL_BACKEND": "sendgrid",
            "HUB_SENDGRID_API_URL": url,
            "SENDGRID_API_KEY": "SG.une-cle-revoquee",
            "HUB_SECRET_KEY": "H6UfpcaQwWkZThDnG5svKL--9vWo0PWwpnW16Pp8nOE",
        }
        sent = hub_with(config_path, "campaign", "send", campaign_id, "--yes", env=env)
        tested = hub_with(
            config_path, "campaign", "test", campaign_id, "--to", "equipe@example.org", env=env
        )
    for result, start in (
        (sent, f"Erreur : la campagne {campaign_id} n'est pas partie (personne ne l'a reçue)"),
        (tested, "Erreur : envoi de test refusé, rien n'est parti"),
    ):
        assert result.returncode == 2, result.stderr
        assert start in result.stderr, result.stderr
        assert "HTTP 401" in result.stderr and "SENDGRID_API_KEY" in result.stderr
        assert "Traceback" not in result.stderr and "BatchRejected" not in result.stderr
    status = json.loads(hub("campaign", "status", campaign_id, "--json").stdout)
    assert status["status"] == "draft"


@pytest.mark.parametrize(("answer", "sent"), [("oui", True), ("O", True), ("non", False)])
def test_confirmation_is_asked_in_french(
    hub: HubRunner, draft: Path, config_path: Path, answer: str, sent: bool
) -> None:
    subscribe(config_path, 2)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    result = answering(config_path, answer, "campaign", "send", campaign_id)
    assert "[o/N]" in result.stderr and "[y/N]" not in result.stderr
    status = json.loads(hub("campaign", "status", campaign_id, "--json").stdout)
    if sent:
        assert result.returncode == 0, result.stderr
        assert status["status"] == "sent" and status["progress"]["accepted"] == 2
    else:
        assert result.returncode == 1 and "Annulé." in result.stderr
        assert status["status"] == "draft"
    kept = answering(config_path, "n", "campaign", "cancel", campaign_id)
    assert kept.returncode == 1 and "Rien n'a été annulé." in kept.stderr


def test_next_steps_and_in_doubt_batches_name_the_campaign(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 2)
    created = hub("campaign", "create", "--draft", str(draft))
    campaign_id = created.stdout.splitlines()[-1]
    assert f"hub campaign send {campaign_id}" in created.stdout
    assert f"ou send {campaign_id}" not in created.stdout
    assert hub("campaign", "send", campaign_id, "--yes").returncode == 0
    # What a process killed during its provider call leaves: its batch `submitting`.
    database = load_config(config_path, env={}).database_path
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE send_batches SET status = 'submitting'")
        conn.execute("UPDATE send_log SET status = 'submitted'")
    shown = hub("campaign", "status", campaign_id)
    assert f"hub campaign retry {campaign_id} --in-doubt" in shown.stderr
    assert "retry ID" not in shown.stderr


def test_status_does_not_watch_a_send_nobody_makes_any_more(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 2)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    assert hub("campaign", "send", campaign_id, "--yes").returncode == 0
    # Sending from another server, whose lease ran out a minute ago: it stopped.
    database = load_config(config_path, env={}).database_path
    with sqlite3.connect(database) as conn:
        conn.execute(
            "UPDATE campaigns SET status = 'sending', owner = 'autre-serveur:42:abcd1234', "
            "lease_until = ?",
            (to_utc_text(datetime.now(UTC) - timedelta(minutes=1)),),
        )
    watcher, terminal = pty.openpty()  # a person watching: the progress bar would follow
    try:
        shown = subprocess.run(
            [*HUB, "--config", str(config_path), "campaign", "status", campaign_id],
            stdout=subprocess.PIPE,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(watcher)
    assert shown.returncode == 0
    assert f"L'envoi est interrompu (processus arrêté) : « hub campaign resume {campaign_id} »" in (
        shown.stdout
    )


def test_test_send_marks_the_subject_and_counts_nothing(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 2)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    result = hub("campaign", "test", campaign_id, "--to", "Equipe@FCPTS.example.org")
    assert result.returncode == 0, result.stderr
    assert "Test envoyé à equipe@fcpts.example.org" in result.stdout
    files = list((outbox_folder(load_config(config_path, env={})) / campaign_id).glob("*.eml"))
    assert len(files) == 1 and b"Subject: [TEST] " in files[0].read_bytes()
    assert b"List-Unsubscribe" not in files[0].read_bytes()  # no list to leave: a team address
    stats = json.loads(hub("campaign", "stats", campaign_id, "--json").stdout)
    assert stats["audience"] == 0 and stats["accepted"] == 0


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2026-13-01 09:00", "il n'y a pas de mois 13"),
        ("demain 9h", f'par exemple "{datetime.now(PARIS).date() + timedelta(days=1)} 09:00"'),
        ("2020-01-01 09:00", "est déjà passé"),
        ("9999-01-01 09:00", "l'année 9999 est hors limites"),
    ],
)
def test_schedule_refuses_a_bad_or_past_time_with_an_example(
    hub: HubRunner, draft: Path, at: str, message: str
) -> None:
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    result = hub("campaign", "schedule", campaign_id, "--at", at)
    assert result.returncode == 2 and message in result.stderr
    status = json.loads(hub("campaign", "status", campaign_id, "--json").stdout)
    assert status["status"] == "draft"


def test_schedule_shows_the_paris_time_back(hub: HubRunner, draft: Path) -> None:
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    result = hub("campaign", "schedule", campaign_id, "--at", "2031-07-01 09:30")
    assert result.returncode == 0, result.stderr
    assert "Programmée le 1er juillet 2031 à 9h30" in result.stdout
    status = json.loads(hub("campaign", "status", campaign_id, "--json").stdout)
    assert status["scheduled_at"] == "2031-07-01T07:30:00+00:00"


def test_an_unknown_campaign_is_a_clear_error(hub: HubRunner) -> None:
    result = hub("campaign", "status", "42")
    assert result.returncode == 2 and "aucune campagne n°42" in result.stderr


def test_a_campaign_to_nobody_is_refused_with_why_and_its_number_stays_free(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    created = hub("campaign", "create", "--draft", str(draft))
    assert "Attention : la liste bimestrielle n'a aucun abonné confirmé" in created.stdout
    campaign_id = created.stdout.splitlines()[-1]

    for args in (("--yes",), ("--dry-run",), ()):  # refused before any question
        refused = hub("campaign", "send", campaign_id, *args)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.startswith(f"Erreur : la campagne {campaign_id} ne part pas")
        assert "aucun abonné confirmé" in refused.stderr and "[o/N]" not in refused.stderr
    status = json.loads(hub("campaign", "status", campaign_id, "--json").stdout)
    assert status["status"] == "draft"

    subscribe(config_path, 2)  # readers come: the same issue can still go
    later = json.loads(hub("campaign", "create", "--draft", str(draft), "--json").stdout)
    assert later["issue_number"] == status["issue_number"]
    sent = hub("campaign", "send", str(later["id"]), "--yes")
    assert sent.returncode == 0, sent.stderr


def test_a_dry_run_of_a_sent_campaign_says_it_was_sent(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 2)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    assert hub("campaign", "send", campaign_id, "--yes").returncode == 0
    subscribe(config_path, 5)  # the list grew since: no longer what it reached

    dry = hub("campaign", "send", campaign_id, "--dry-run")

    assert dry.returncode == 0, dry.stderr
    assert f"La campagne {campaign_id} (« " in dry.stdout
    assert "a déjà été envoyée le " in dry.stdout and "à 2 destinataire(s)" in dry.stdout
    assert "Rien n'a été envoyé." in dry.stdout and "partirait" not in dry.stdout
    as_json = json.loads(hub("campaign", "send", campaign_id, "--dry-run", "--json").stdout)
    assert as_json["status"] == "sent" and as_json["progress"]["audience"] == 2


def test_an_unknown_campaign_says_which_command_lists_them(hub: HubRunner) -> None:
    result = hub("campaign", "pause", "42")
    assert result.returncode == 2
    assert (
        result.stderr == "Erreur : aucune campagne n°42 (« hub campaign list » les montre toutes)\n"
    )


def test_a_second_campaign_of_a_sent_issue_names_the_commands_that_continue_the_first(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 2)
    first = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    second = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    assert hub("campaign", "send", first, "--yes").returncode == 0

    refused = hub("campaign", "send", second, "--yes")
    assert refused.returncode == 2
    assert f"déjà parti avec la campagne {first} (envoyée) : la campagne {second} ne part pas" in (
        refused.stderr
    )
    assert (
        f"« hub campaign resume {first} » (en pause ou interrompue) ou « hub campaign retry "
        f"{first} » (échecs) ; « hub campaign cancel {second} » retire celle-ci"
    ) in refused.stderr
