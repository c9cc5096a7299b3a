"""`hub run --port`: started on another port than [web].base_url's, it says once where the
e-mails' links will point."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

WARNING = "les liens des e-mails (désinscription, confirmation, préférences) pointeront vers"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_until_ready(config_path: Path, port: int) -> str:
    """`hub run --port PORT` started, then stopped as soon as it listens: its stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config_path), "run", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert f"127.0.0.1:{port}/" in line, line
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    return stderr


def test_another_port_than_base_urls_is_said_once_in_french(config_path: Path) -> None:
    port = free_port()  # the shipped base_url is http://127.0.0.1:8080

    stderr = run_until_ready(config_path, port)

    said = [line for line in stderr.splitlines() if WARNING in line]
    assert len(said) == 1, stderr
    assert "level=warning" in said[0]
    assert "[web].base_url = http://127.0.0.1:8080, pas vers le port" in said[0]
    assert re.search(rf"pas vers le port {port} de ce lancement", said[0])


def test_the_port_of_base_url_says_nothing(config_path: Path) -> None:
    port = free_port()
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace("127.0.0.1:8080", f"127.0.0.1:{port}"), encoding="utf-8")

    stderr = run_until_ready(config_path, port)

    assert WARNING not in stderr and "hub started" in stderr
