"""`hub demo` (being written)."""

from __future__ import annotations

import click


def setup(cli: click.Group) -> None:
    """Registers nothing yet."""
