"""The one place that turns `[mail].backend` into a `Messenger`."""

from __future__ import annotations

from hub.config import Config
from hub.mail import Messenger
from hub.mail.folders import outbox_folder
from hub.mail.outbox import OutboxMessenger
from hub.mail.sendgrid import SendgridMessenger, api_key_from_env
from hub.mail.smtp import SmtpMessenger

__all__ = ["make_messenger", "outbox_folder"]


def make_messenger(config: Config) -> Messenger:
    """The backend the configuration names; a missing secret stops here, before any sending."""
    if config.mail.backend == "smtp":
        return SmtpMessenger(config)
    if config.mail.backend == "sendgrid":
        return SendgridMessenger(config, api_key_from_env())
    return OutboxMessenger(config, outbox_folder(config))
