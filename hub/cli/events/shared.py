"""What every `hub events` command shares: the group, the services with this command line's
hints, the delivery of the e-mails a command caused, and how an event is printed."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from hub.cli import HubContext, HubGroup, print_json
from hub.config import Config
from hub.errors import UserError
from hub.events.model import (
    Event,
    EventNotFound,
    InvalidEvent,
)
from hub.events.outcomes import SeatGiven
from hub.events.service import Events
from hub.events.wording import (
    AUDIENCE_LABELS,
    EVENT_STATUS_LABELS,
    MODE_LABELS,
    seats_taken,
    waitlist_rule,
)
from hub.mail import Messenger
from hub.timeutil import (
    DATETIME_EXAMPLE,
    french_datetime,
    parse_local_datetime,
)
from hub.wording import french_number

if TYPE_CHECKING:
    from hub.services import HubServices

F = TypeVar("F", bound=Callable[..., Any])

# Exit code of `register` and `accept` when the service refuses (the reason is the last line);
# 2 stays a mistake in the command itself.
EXIT_REFUSED = 3

DATE_HELP = f'heure de Paris, « AAAA-MM-JJ HH:MM », ex. "{DATETIME_EXAMPLE}"'


@click.group("events", cls=HubGroup)
def events_group() -> None:
    """Événements : création, publication, inscriptions, listes d'attente, rappels, effacement."""


# The option to fix for an `InvalidEvent`'s field, said after the service's message.
_FIELD_OPTIONS = {"venue": "--venue"}


@asynccontextmanager
async def event_service(hub: HubContext) -> AsyncIterator[Events]:
    """The service; its errors about an event get the hint of this command line."""
    async with _services(hub) as services:
        yield services.events


@asynccontextmanager
async def _services(hub: HubContext) -> AsyncIterator[HubServices]:
    """The process's services; errors about an event get the hint of this command line."""
    async with hub.services() as services:
        try:
            yield services
        except EventNotFound as exc:
            raise UserError(f"{exc} ; `hub events list` donne les identifiants") from None
        except InvalidEvent as exc:
            option = _FIELD_OPTIONS.get(exc.field)
            if option is None:
                raise
            raise UserError(f"{exc} ({option})") from None


@asynccontextmanager
async def mailing(hub: HubContext) -> AsyncIterator[tuple[Events, Messenger]]:
    """The service and the e-mail backend, made first: a missing secret stops the command
    before it changes anything."""
    async with _services(hub) as services:
        yield services.events, services.messenger


async def deliver(events: Events, messenger: Messenger, *, err: bool = False) -> None:
    """Send the e-mails waiting (those this command caused, and any left behind) and say how
    many left (on stderr with `err`, when stdout is JSON)."""
    from hub.events.mailer import deliver_pending  # the e-mails' templates: only when sending

    report = await deliver_pending(
        events.db, events.config, messenger, events=events, people=events.people
    )
    click.echo(f"E-mails envoyés : {french_number(report.sent)}", err=err)
    if report.skipped:
        click.echo(
            f"{french_number(report.skipped)} e-mail(s) devenu(s) sans objet, non envoyé(s) "
            "(inscription changée depuis, événement passé…).",
            err=err,
        )
    if report.failed:
        click.echo(
            f"{french_number(report.failed)} e-mail(s) refusé(s) par le service d'envoi ; "
            "le motif est dans les journaux.",
            err=True,
        )
    if report.in_doubt:
        click.echo(
            f"{french_number(report.in_doubt)} e-mail(s) peut-être reçu(s) (réponse du service "
            "d'envoi perdue) : ils ne seront pas renvoyés.",
            err=True,
        )


def optional_time(config: Config, text: str | None, option: str) -> datetime | None:
    return parse_local_datetime(text, config.tz, option) if text else None


def paris_time(config: Config, value: datetime | None) -> str:
    return french_datetime(value, config.tz) if value else "—"


def place(event: Event) -> str:
    if event.online:
        return event.video_url or "lien de la visio à donner (--video-url)"
    return ", ".join(p for p in (event.venue, event.address) if p)


def echo_event(config: Config, event: Event, counts: dict[str, int]) -> None:
    kind = config.event_kinds.get(event.kind)
    click.echo(
        f"Événement {event.id} : « {event.title} » ({kind.name if kind else event.kind}) — "
        f"{EVENT_STATUS_LABELS[event.status]}"
    )
    click.echo(f"  Du {paris_time(config, event.starts_at)} au {paris_time(config, event.ends_at)}")
    click.echo(f"  {MODE_LABELS[event.mode].capitalize()} : {place(event)}")
    click.echo(f"  Public : {AUDIENCE_LABELS[event.audience]}")
    click.echo(
        f"  Places prises : {seats_taken(event, counts)} ; "
        f"liste d'attente : {french_number(counts.get('waitlisted', 0))} — {waitlist_rule(event)}"
    )


def json_value(config: Config, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(config.tz).isoformat()
    if isinstance(value, dict):
        return {k: json_value(config, v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(config, v) for v in value]
    return value


def event_json(config: Config, event: Event, counts: dict[str, int]) -> dict[str, Any]:
    """An event for scripts: every field, times in Paris with their offset, and the counts."""
    return {**json_value(config, dataclasses.asdict(event)), "counts": counts}


def seat_moves(
    config: Config, promoted: Sequence[SeatGiven], offered: Sequence[SeatGiven]
) -> list[str]:
    """The seats the service has just given or offered from the waiting list."""
    lines = [f"Place donnée à {seat.email} (liste d'attente)" for seat in promoted]
    for seat in offered:
        expires = paris_time(config, seat.registration.offer_expires_at)
        lines.append(f"Place proposée à {seat.email} jusqu'au {expires}")
    return lines


def refuse(reason: str, as_json: bool) -> NoReturn:
    """End a command the service refused: the reason as the last line, exit code 3."""
    if as_json:
        print_json({"refused": reason})
    else:
        click.echo(f"refusé : {reason}")
    raise click.exceptions.Exit(EXIT_REFUSED)
