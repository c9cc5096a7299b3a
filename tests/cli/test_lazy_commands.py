"""The root `hub` group imports a command's module only when that command is needed, and its
table of short helps says exactly what each command's own docstring says."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click
import pytest
from click.utils import make_default_short_help

from hub.cli import COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_short_help_is_the_command_s_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.name == name
    for limit in (40, 60, 300):
        assert make_default_short_help(COMMANDS[name][1], limit) == command.get_short_help_str(
            limit
        ), (name, limit)


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


def test_help_imports_no_command_module_nor_heavy_library() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from hub.cli import cli\n"
        "result = CliRunner().invoke(cli, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiohttp', 'sendgrid', 'aiosmtplib', 'icalendar', 'jinja2', 'mjml', 'openpyxl', "
        "'discord'} or m.startswith('hub.cli.'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["hub.cli.french"], out
