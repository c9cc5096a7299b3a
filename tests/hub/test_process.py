"""`hub run`: one process serving the archive and pulling feeds, stopped cleanly by signals."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hub.config import Config


def _start(config_path: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config_path), "run", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    assert match, f"no URL in {line!r}: {process.stderr.read() if process.poll() else ''}"
    return process, match[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_pulls_and_stops_within_5_seconds(
    config_path: Path, config: Config, sig: signal.Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_SECRET_KEY", "process-test-secret-0123456789-abcdefghij")
    process, url = _start(config_path)
    try:
        assert _get(f"{url}/healthz") == (200, b'{"status": "ok", "database": "ok"}')
        assert _get(f"{url}/archives/")[0] == 200
        # The scheduler pulls the configured feed as soon as the process starts.
        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline and count == 0:
            time.sleep(0.2)
            with sqlite3.connect(config.database_path) as conn:
                count = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        assert count > 25
    finally:
        started = time.monotonic()
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert process.returncode == 0, stderr
    # The scheduler's first round (feeds pulled, stale sign-ups purged) may come in between.
    first_round = ("feed pulled", "stale sign-ups purged")
    events = [e for e in re.findall(r'event="([^"]+)"', stderr) if e not in first_round]
    # --port 0 is not [web].base_url's port: `hub run` says where the e-mails' links point.
    events = [e for e in events if not e.startswith("les liens des e-mails")]
    # The scheduler starts with the app, before it listens; it stops before the hub ends. The
    # shipped Discord bots are off (guild_id = 0), one line each.
    assert events == [
        "scheduler started",
        "bot Discord « Collectif des salariés » désactivé : [discord.salaries].guild_id = 0",
        "bot Discord « Collectif des élus » désactivé : [discord.elus].guild_id = 0",
        "hub started",
        "scheduler stopped",
        "hub stopped",
    ]
    assert all(line.startswith("ts=") for line in stderr.splitlines()), stderr
