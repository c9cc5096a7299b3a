"""Run the real `hub` command as staff do: its click group in this process (`hub`), or the
whole program in a subprocess (`hub_process`, for exit codes, signals and the terminal); a
draft and readers to send to."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.config import load_config
from hub.db import Database
from hub.subscribers.service import Consent, Person, Subscribers
from newsletters.draft import write_draft
from tests.newsletters.factories import full_issue

HubRunner = Callable[..., subprocess.CompletedProcess[str]]


def invoke_hub(
    config_path: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`hub --config CONFIG ARGS` through its click group, in this process, answered as the
    process would answer: its exit code, its stdout, its stderr (a crash's traceback there, exit
    code 1). No terminal and stdin empty unless `input`: a prompt reads end-of-file. The
    logging set up by the command is undone after it (its stream is gone)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        result = CliRunner().invoke(
            cli, ["--config", str(config_path), *args], input=input, env=env, prog_name="hub"
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, stderr)


@pytest.fixture
def hub(config_path: Path) -> HubRunner:
    """The `hub` command in this process (see `invoke_hub`); `timeout` is accepted, as by
    `hub_process`, and ignored."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return invoke_hub(config_path, *args)

    return run


@pytest.fixture
def hub_process(config_path: Path) -> HubRunner:
    """The real program, `python -m hub`, in a subprocess with stdin closed: for what only a
    process shows (its exit code through `main`, its start-up)."""

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
