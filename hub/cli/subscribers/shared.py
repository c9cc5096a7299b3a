"""What the `hub subscribers` commands share: the group, and times and lists as staff read
them."""

from __future__ import annotations

import click

from hub.cli import HubGroup
from hub.config import Config
from hub.timeutil import french_datetime, from_utc_text


def when(config: Config, text: str | None) -> str:
    """A stored UTC time as staff read it: « 1er décembre 2026 à 9h30 » (Paris time)."""
    value = from_utc_text(text)
    return french_datetime(value, config.tz) if value else "—"


def local_time(config: Config, text: str | None) -> str:
    """A stored UTC time for a spreadsheet: « 2026-12-01 09:30 » (Paris time)."""
    value = from_utc_text(text)
    return value.astimezone(config.tz).strftime("%Y-%m-%d %H:%M") if value else ""


def list_name(config: Config, key: str) -> str:
    mailing_list = config.lists.get(key)
    return f"{mailing_list.name} ({key})" if mailing_list else key


@click.group("subscribers", cls=HubGroup)
def subscribers_group() -> None:
    """Abonnés : import, export, ajout, adhésion, désinscription, accès et effacement RGPD."""
