"""`hub outbox`: a newcomer reads the e-mails the outbox backend wrote, links included."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import HubRunner, subscribe


def test_list_and_show_the_last_message_to_someone(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    assert "La boîte d'envoi est vide" in hub("outbox", "list").stdout
    subscribe(config_path, 3)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    assert hub("campaign", "send", campaign_id, "--yes").returncode == 0

    listed = json.loads(hub("outbox", "list", "--json").stdout)
    assert sorted(row["to"] for row in listed) == [
        f"Lecteur{i} <lecteur{i}@example.org>" for i in range(3)
    ]
    shown = hub("outbox", "show", "--to", "lecteur1@example.org")
    assert shown.returncode == 0, shown.stderr
    assert "To: Lecteur1 <lecteur1@example.org>" in shown.stdout
    assert "Bonjour Lecteur1," in shown.stdout
    assert "List-Unsubscribe: <http://127.0.0.1:8080/u/" in shown.stdout

    missing = hub("outbox", "show", "--to", "personne@example.org")
    assert missing.returncode == 2 and "aucun message pour personne@example.org" in missing.stderr


def test_show_prints_the_header_lines_as_they_are_on_the_wire(
    hub: HubRunner, draft: Path, config_path: Path
) -> None:
    subscribe(config_path, 1)
    campaign_id = hub("campaign", "create", "--draft", str(draft)).stdout.splitlines()[-1]
    assert hub("campaign", "send", campaign_id, "--yes").returncode == 0
    (eml,) = (config_path.parent / "var" / "outbox" / campaign_id).glob("*.eml")
    head = eml.read_bytes().split(b"\n\n", 1)[0].decode("ascii").splitlines()

    shown = hub("outbox", "show", str(eml))

    assert shown.returncode == 0, shown.stderr
    printed = shown.stdout.splitlines()
    assert printed[: len(head)] == head  # every line, folding and encoding as in the file
    subject = [line for line in head if line.startswith("Subject: ")]
    assert subject and "=?utf-8?" in subject[0]  # the accented subject as it travels
    unsubscribe = [line for line in printed if line.startswith("List-Unsubscribe: ")]
    assert unsubscribe[0].startswith("List-Unsubscribe: <http://127.0.0.1:8080/u/")
    assert "Bonjour Lecteur0," in shown.stdout
