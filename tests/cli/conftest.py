"""Run the real `hub` command as staff do, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HubRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def hub(config_path: Path) -> HubRunner:
    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", "--config", str(config_path), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run
