"""`hub subscribers`: import, export, add and unsubscribe people, set membership; GDPR access and
erasure.

One module per concern: `files` (import, export), `people` (add, unsubscribe, set), `privacy`
(show, forget); what they share is in `shared`.
"""

from __future__ import annotations

import click

# The commands register themselves on the group when their module is imported.
from hub.cli.subscribers import files, people, privacy
from hub.cli.subscribers.shared import subscribers_group

__all__ = ["files", "people", "privacy", "setup", "subscribers_group"]


def setup(cli: click.Group) -> None:
    cli.add_command(subscribers_group)
