"""Many `hub events register` processes started at once against one database lose nobody.

Each process imports the hub, then all wait for one signal and open the same (migrated) file
together, as a crowd of scripts or staff would. Their busy timeout is shortened so that, on
this small test, a write really meets a busy database: each must wait its turn and retry, and
every person must end up registered. Nothing here asserts a time."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from hub.cli import cli

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 40
PER_PROCESS = 3  # 120 registrations, each its own opening of the database
BUSY_MS = 20  # instead of 10 s: contention shows on 40 processes, not only on hundreds
DAY = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=40)).date()


def create_event(config_path: Path) -> str:
    when = ["--start", f"{DAY} 09:00", "--end", f"{DAY} 11:00"]
    args = ["events", "create", "--title", "Assemblée", "--kind", "reunion-flash", *when]
    result = CliRunner().invoke(
        cli, ["--config", str(config_path), *args, "--capacity", "500", "--publish"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_a_crowd_of_register_processes_loses_nobody(tmp_path: Path, config_path: Path) -> None:
    slug = create_event(config_path)
    go = tmp_path / "go"
    emails = [f"personne{n}@cpts-exemple.fr" for n in range(PROCESSES * PER_PROCESS)]
    workers = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.hub.contention_worker", str(config_path), slug),
                *(str(go), str(BUSY_MS), *emails[i * PER_PROCESS : (i + 1) * PER_PROCESS]),
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    for worker in workers:  # every process imported and waiting: then all go at once
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    go.touch()
    outcomes = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        outcomes += [json.loads(line) for line in out.splitlines()]
    failed = [o for o in outcomes if o["code"] != 0]
    assert failed == []
    database = tmp_path / "var" / "hub.sqlite3"
    with sqlite3.connect(database) as conn:
        registered = conn.execute("SELECT COUNT(*) FROM registrations").fetchone()[0]
    assert registered == len(emails)
