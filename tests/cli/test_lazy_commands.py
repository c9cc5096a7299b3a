"""The root `hub` group imports a command's module only when that command is needed, and its
table of short helps says exactly what each command's own docstring says."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from hub.cli import COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_short_help_is_the_command_s_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.name == name
    listed = click.Command(name, help=COMMANDS[name][1])
    for limit in (40, 60, 300):
        assert listed.get_short_help_str(limit) == command.get_short_help_str(limit), limit


def test_every_command_module_is_listed() -> None:
    """A module of hub/cli with a `setup(cli)` adds a command: `hub --help` must list it."""
    import hub.cli

    with_setup = {
        f"hub.cli.{info.name}"
        for info in pkgutil.iter_modules(hub.cli.__path__)
        if hasattr(importlib.import_module(f"hub.cli.{info.name}"), "setup")
    }
    assert with_setup == {module for module, _ in COMMANDS.values()}
    for name in COMMANDS:
        cli.get_command(click.Context(cli), name)
    assert sorted(cli.commands) == sorted(COMMANDS)


HEAVY = ("aiohttp", "sendgrid", "aiosmtplib", "icalendar", "jinja2", "mjml", "openpyxl", "discord")


def imported_by(args: list[str], env: dict[str, str] | None = None) -> list[str]:
    """The heavy libraries and the hub.cli modules a fresh interpreter has loaded after running
    `hub ARGS` (in a new process: this one has imported everything already)."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from hub.cli import cli\n"
        f"result = CliRunner().invoke(cli, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{set(HEAVY)!r} or m.startswith('hub.cli.'))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return run.stdout.split()


def test_help_imports_no_command_module_nor_heavy_library() -> None:
    assert imported_by(["--help"]) == ["hub.cli.french"]


def test_listing_events_imports_no_mail_backend_template_nor_calendar_library(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path), "HUB_MAIL_BACKEND": "outbox"}
    loaded = imported_by(["events", "list"], env)
    assert "hub.cli.events" in loaded
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
