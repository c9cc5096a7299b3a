"""`hub newsletter` and `hub demo` end to end, as staff run them."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from hub.cli import newsletter
from hub.config import Config
from hub.errors import UserError
from newsletters.compose import NoArticles
from newsletters.pipeline import DraftExists, IssueAlreadyArchived
from tests.cli.conftest import HubRunner


def test_draft_edit_render(hub: HubRunner, tmp_path: Path) -> None:
    assert hub("feed", "pull").returncode == 0

    drafted = hub("newsletter", "draft", "bimestrielle", "--since", "2025-01-01")
    assert drafted.returncode == 0, drafted.stderr
    draft = Path(drafted.stdout.strip().splitlines()[-1])
    assert draft.is_file()
    assert "La lettre de la FCPTS n°1" in drafted.stdout

    again = hub("newsletter", "draft", "bimestrielle", "--since", "2025-01-01")
    assert again.returncode == 2
    assert "existe déjà" in again.stderr and "--force" in again.stderr

    # Staff add an editorial and cut the first article of "À la une".
    text = draft.read_text(encoding="utf-8")
    text = text.replace("# Éditorial\n", "# Éditorial\n\nBonne lecture à **toutes et tous** !\n")
    first = text.index("\n## ", text.index("{#une}"))
    second = text.index("\n## ", first + 1)
    removed_title = text[first + 4 : text.index("\n", first + 4)]
    draft.write_text(text[:first] + text[second:], encoding="utf-8")

    out = tmp_path / "rendu"
    rendered = hub("newsletter", "render", str(draft), "--out", str(out))
    assert rendered.returncode == 0, rendered.stderr
    assert Path(rendered.stdout.strip().splitlines()[-1]) == out
    html = (out / "issue.html").read_text(encoding="utf-8")
    meta = json.loads((out / "issue.json").read_text(encoding="utf-8"))
    assert "<strong>toutes et tous</strong>" in html
    titles = [item["title"] for section in meta["sections"] for item in section["items"]]
    assert removed_title not in titles and len(titles) > 5
    assert meta["edition"] == "bimestrielle" and meta["number"] == 1
    assert (out / "issue.txt").read_text(encoding="utf-8").strip()

    # The rendered issue is archived: the next draft is number 2.
    listed = hub("newsletter", "draft", "bimestrielle", "--since", "2025-01-01", "--json")
    assert json.loads(listed.stdout)["number"] == 2


def test_user_mistakes_are_clear(hub: HubRunner, tmp_path: Path) -> None:
    bad_date = hub("newsletter", "draft", "flash", "--since", "01/11/2026")
    assert bad_date.returncode == 2
    assert "AAAA-MM-JJ" in bad_date.stderr and "Traceback" not in bad_date.stderr
    no_such_month = hub("newsletter", "draft", "flash", "--since", "2026-13-01")
    assert no_such_month.returncode == 2
    assert no_such_month.stderr == "Erreur : --since : il n'y a pas de mois 13 (mois de 01 à 12)\n"

    unknown = hub("newsletter", "draft", "mensuelle")
    assert unknown.returncode == 2
    assert "édition inconnue 'mensuelle'" in unknown.stderr

    nothing = hub("newsletter", "draft", "essentiel")
    assert nothing.returncode == 2
    assert "hub feed pull" in nothing.stderr

    broken = tmp_path / "casse.md"
    broken.write_text("+++\nedition = 'flash'\nnumber = 1\n+++\n", encoding="utf-8")
    result = hub("newsletter", "render", str(broken))
    assert result.returncode == 2
    assert result.stderr.startswith(f"Erreur : {broken}, ligne 1 :")

    missing = hub("newsletter", "render", str(tmp_path / "absent.md"))
    assert missing.returncode == 2 and "introuvable" in missing.stderr


def test_demo_renders_the_four_editions_and_sends_one_in_its_sandbox(
    hub: HubRunner, config: Config
) -> None:
    for _ in range(2):  # a second run starts afresh: the same numbers again
        result = hub("demo", "--json")
        assert result.returncode == 0, result.stderr
        demo = json.loads(result.stdout)
        issues = demo["issues"]
        assert [(i["edition"], i["number"]) for i in issues] == [
            ("bimestrielle", 1),
            ("flash", 1),
            ("condense", 1),
            ("essentiel", 1),
        ]
    assert Path(demo["data_dir"]) == config.data_dir / "demo"
    for issue in issues:
        html, text, meta = map(Path, issue["files"])
        assert html.is_file() and html.stat().st_size > 5_000
        assert text.is_file() and meta.is_file()
    bimestrielle = json.loads(Path(issues[0]["files"][2]).read_text(encoding="utf-8"))
    (agenda,) = [s for s in bimestrielle["sections"] if s["title"] == "Agenda"]
    # The federation's 2026 meetings and upcoming ones; the public one is in the public issue.
    events = demo["events"]
    assert "Journées Nationales des CPTS 2026" in events["created"]
    assert len(events["created"]) == 6
    assert [item["title"] for item in agenda["items"]] == [
        "Webinaire des partenaires : les Observatoires régionaux de santé"
    ]
    registrations = events["registrations"]
    assert registrations["waitlisted"] == 3 and registrations["refused"] == 3
    assert registrations["confirmed"] > 20
    # Each registration's e-mail is in the outbox, a confirmation with its invitation.
    mails = sorted(Path(events["outbox"]).glob("*.eml"))
    assert len(mails) == events["emails_sent"] == sum(registrations.values()) - 3
    invitations = [
        message
        for message in (
            email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in mails
        )
        if any(part.get_content_type() == "text/calendar" for part in message.walk())
    ]
    assert len(invitations) == registrations["confirmed"]
    # The bimonthly issue went to every demo subscriber, one message each, in the outbox.
    campaign = demo["campaign"]
    assert campaign["status"] == "sent" and campaign["edition"] == "bimestrielle"
    outbox = Path(demo["outbox"])
    assert outbox == config.data_dir / "demo" / "outbox" / str(campaign["id"])
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == demo["files_written"] == demo["subscribers"] == 24
    recipients = {
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)["To"]
        .addresses[0]
        .addr_spec
        for f in files
    }
    assert len(recipients) == 24 and all(r.endswith("@example.org") for r in recipients)
    # The real archive is untouched.
    assert not config.database_path.exists()


def test_preview_serves_the_draft_until_interrupted(hub: HubRunner, config_path: Path) -> None:
    assert hub("feed", "pull").returncode == 0
    drafted = hub("newsletter", "draft", "condense", "--since", "2025-01-01")
    draft = drafted.stdout.strip().splitlines()[-1]
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config_path), "newsletter", "preview", draft],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url[0], timeout=10) as response:
            page = response.read().decode()
        assert "Le Condensé de la Fédé" in page and "[[" not in page
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_unwritable_places_are_user_errors(
    hub: HubRunner, config_path: Path, tmp_path: Path
) -> None:
    afile = tmp_path / "un-fichier"
    afile.write_text("x")
    assert hub("feed", "pull").returncode == 0
    drafted = hub("newsletter", "draft", "flash", "--since", "2025-01-01", "--out", f"{afile}/x.md")
    assert drafted.returncode == 2 and "impossible d'écrire" in drafted.stderr
    assert "Traceback" not in drafted.stderr

    env = {**os.environ, "HUB_DATA_DIR": str(afile)}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(config_path), "feed", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2 and "impossible d'ouvrir la base" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_busy_port_is_a_user_error(hub: HubRunner) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = hub("run", "--port", str(port), timeout=60)
    assert result.returncode == 2
    assert f"impossible d'écouter sur 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            NoArticles("La lettre", "2026-10-01", 3),
            "aucun article pour « La lettre » publié depuis le 2026-10-01 (3 élément(s) du flux "
            "sur la période, aucun dans ses rubriques). Lancez « hub feed pull » ou élargissez "
            "la période avec --since AAAA-MM-JJ.",
        ),
        (
            DraftExists(Path("var/drafts/flash-1.md")),
            "var/drafts/flash-1.md existe déjà (peut-être modifié à la main) : choisissez un "
            "autre fichier avec --out, ou ajoutez --force pour le remplacer",
        ),
        (
            IssueAlreadyArchived("Flash", 4, "1er décembre 2026"),
            "le n°4 de « Flash » est déjà archivé (rendu le 1er décembre 2026) : ajoutez --force "
            "pour le remplacer, ou changez « number » dans le brouillon",
        ),
    ],
)
def test_the_workflows_errors_get_this_command_lines_hint(error: Exception, line: str) -> None:
    assert "--" not in str(error) and "hub " not in str(error)  # the newsletters' own words
    with pytest.raises(UserError) as told, newsletter._hints():
        raise error
    assert str(told.value) == line
