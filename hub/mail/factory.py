"""The one place that turns `[mail].backend` into a `Messenger`.

The SendGrid and SMTP backends are imported only when chosen: they bring aiohttp and
aiosmtplib, which a command that sends nothing (or writes to the outbox) need not load."""

from __future__ import annotations

from hub.config import Config
from hub.mail import Messenger
from hub.mail.folders import outbox_folder
from hub.mail.outbox import OutboxMessenger
from hub.secrets import Secrets, current

__all__ = ["make_messenger", "outbox_folder"]


def make_messenger(config: Config, secrets: Secrets | None = None) -> Messenger:
    """The backend the configuration names, with its secret from `secrets` (`HubServices`
    passes its own; read from the environment when none is given); a missing secret stops
    here, before any sending."""
    if config.mail.backend == "smtp":
        from hub.mail.smtp import SmtpMessenger

        password = (secrets or current()).smtp_password
        return SmtpMessenger(config, password=password)
    if config.mail.backend == "sendgrid":
        from hub.mail.sendgrid import SendgridMessenger, required_api_key

        return SendgridMessenger(config, required_api_key(secrets or current()))
    return OutboxMessenger(config, outbox_folder(config))
