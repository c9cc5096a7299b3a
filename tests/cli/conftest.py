"""Run the real `hub` command as staff do, in a subprocess; a draft and readers to send to."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.config import load_config
from hub.db import Database
from hub.subscribers.service import Consent, Person, Subscribers
from newsletters.draft import write_draft
from tests.newsletters.factories import full_issue

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


def subscribe(config_path: Path, count: int) -> list[str]:
    """Confirmed readers of the bimonthly list, put there as staff would."""
    config = load_config(config_path, env={})
    people = [Person(f"lecteur{i}@example.org", first_name=f"Lecteur{i}") for i in range(count)]

    async def run() -> None:
        async with await Database.open(config.database_path) as db:
            await Subscribers(db, config).subscribe_many(
                people, ["bimestrielle"], Consent("cli", "test", "1"), confirmed=True
            )

    asyncio.run(run())
    return [p.email for p in people]


@pytest.fixture
def draft(config_path: Path, tmp_path: Path) -> Path:
    config = load_config(config_path, env={})
    path = tmp_path / "bimestrielle-3.md"
    path.write_text(write_draft(full_issue(config, "bimestrielle", number=3)), encoding="utf-8")
    return path
