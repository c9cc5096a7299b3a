"""Every command explains itself, in French."""

from __future__ import annotations

import click
from click.testing import CliRunner

from hub.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the root group loads its commands lazily
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_every_command_has_french_help() -> None:
    commands = _commands(cli)
    assert ("newsletter", "draft") in commands and ("feed", "pull") in commands
    for path in commands:
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Affiche cette aide." in result.output, path
        assert "Show this message" not in result.output, path
        command = cli
        for name in path:
            command = command.get_command(click.Context(command), name)  # type: ignore[attr-defined]
        assert command.help and command.help.strip(), f"{path} has no help text"
