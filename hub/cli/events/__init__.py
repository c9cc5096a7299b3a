"""`hub events`: the staff's side of events: create, publish, register people by hand, export
the registrations, remind, cancel, and erase the personal data of old events.

Every command that changes registrations delivers the e-mails it caused here and now (the
confirmation, the seat given to the next in line…), so staff see how many left.

One module per concern: `manage` (create, edit, publish, cancel), `listing` (list, show),
`registering` (register, accept, unregister), `exports` (registrations), `upkeep` (remind,
purge); what they share is in `shared`.
"""

from __future__ import annotations

import click

# The commands register themselves on the group when their module is imported.
from hub.cli.events import exports, listing, manage, registering, upkeep
from hub.cli.events.shared import EXIT_REFUSED, events_group

__all__ = [
    "EXIT_REFUSED",
    "events_group",
    "exports",
    "listing",
    "manage",
    "registering",
    "setup",
    "upkeep",
]


def setup(cli: click.Group) -> None:
    cli.add_command(events_group)
