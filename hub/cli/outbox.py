"""`hub outbox`: read what the outbox backend wrote, as a person would in a mail client."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import click

from hub.cli import HubContext, HubGroup, pass_hub, print_json
from hub.errors import UserError
from hub.mail.factory import outbox_folder


@click.group("outbox", cls=HubGroup)
def outbox_group() -> None:
    """Boîte d'envoi locale (mode « outbox ») : les e-mails écrits au lieu d'être envoyés."""


def _messages(folder: Path) -> list[Path]:
    """Every message, newest last."""
    return sorted(folder.rglob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name))


def _read(path: Path) -> EmailMessage:
    return _parse(path.read_bytes())


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _raw_head(data: bytes) -> list[str]:
    """The message's header lines exactly as they go on the wire (folding and RFC 2047
    encoding included): what a mailbox provider reads, so a wrongly encoded header shows."""
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
    return [line.decode("utf-8", "replace") for line in re.split(rb"\r?\n", head)]


@outbox_group.command("list")
@click.option("--limit", default=20, show_default=True, help="Nombre de messages (les derniers).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
def list_command(hub: HubContext, limit: int, as_json: bool) -> None:
    """Les derniers messages écrits dans la boîte d'envoi."""
    paths = _messages(outbox_folder(hub.config))[-limit:]
    rows = [
        {"file": str(p), "to": str(m["To"]), "subject": str(m["Subject"]), "date": str(m["Date"])}
        for p, m in ((p, _read(p)) for p in paths)
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"La boîte d'envoi est vide ({outbox_folder(hub.config)}).")
    for row in rows:
        click.echo(f"{row['to']} — {row['subject']}\n    {row['file']}")


@outbox_group.command("show")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "recipient", help="Le dernier message adressé à cette adresse.")
@pass_hub
def show_command(hub: HubContext, file: Path | None, recipient: str | None) -> None:
    """Affiche un message (par défaut le dernier) : en-têtes tels qu'envoyés, puis version texte."""
    if file is None:
        paths = _messages(outbox_folder(hub.config))
        if recipient:
            wanted = recipient.strip().lower()
            paths = [p for p in paths if wanted in str(_read(p)["To"]).lower()]
        if not paths:
            raise UserError(
                f"aucun message {'pour ' + recipient + ' ' if recipient else ''}dans la boîte "
                f"d'envoi ({outbox_folder(hub.config)})"
            )
        file = paths[-1]
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"{file} : lecture impossible ({exc.strerror})") from None
    message = _parse(data)
    for line in _raw_head(data):
        click.echo(line)
    body = message.get_body(("plain", "html"))
    click.echo("")
    click.echo(body.get_content() if body else "(message sans texte)")


def setup(cli: click.Group) -> None:
    cli.add_command(outbox_group)
