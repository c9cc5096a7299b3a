"""The one place that turns `[mail].backend` into a `Messenger`."""

from __future__ import annotations

from pathlib import Path

from hub.config import Config
from hub.mail import Messenger
from hub.mail.outbox import OutboxMessenger
from hub.mail.sendgrid import SendgridMessenger, api_key_from_env
from hub.mail.smtp import SmtpMessenger


def outbox_folder(config: Config) -> Path:
    return config.data_dir / "outbox"


def make_messenger(config: Config) -> Messenger:
    """The backend the configuration names; a missing secret stops here, before any sending."""
    if config.mail.backend == "smtp":
        return SmtpMessenger(config)
    if config.mail.backend == "sendgrid":
        return SendgridMessenger(config, api_key_from_env())
    return OutboxMessenger(config, outbox_folder(config))
