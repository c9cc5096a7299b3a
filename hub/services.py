"""The hub's composition root: every service built once per process, shared by every channel.

`hub run` builds one `HubServices` in its application factory (the web handlers, the background
work and the Discord bots read it from the app); each CLI command gets the same from its context.
So a rule lives once, in the service, and a channel only translates: a web form, a command line
or a Discord interaction calls the same method and gets the same outcome. Channels never build a
service themselves.

Secrets are read here, from the environment only, once: nothing else in the hub reads them, and
their `repr` never shows a value (a traceback or a debug log cannot leak them).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from hub.config import Config
from hub.db import Database
from hub.events.service import Events
from hub.subscribers.service import Subscribers
from hub.wakeup import Wakeup

if TYPE_CHECKING:
    from hub.mail import Messenger

SECRET_KEY_ENV = "HUB_SECRET_KEY"
SENDGRID_API_KEY_ENV = "SENDGRID_API_KEY"
SMTP_PASSWORD_ENV = "HUB_SMTP_PASSWORD"
WEBHOOK_PUBLIC_KEY_ENV = "HUB_SENDGRID_WEBHOOK_PUBLIC_KEY"


@dataclass(frozen=True, repr=False)
class Secrets:
    """Every secret the hub uses, as the environment gave it ("" when unset)."""

    secret_key: str = ""
    sendgrid_api_key: str = ""
    smtp_password: str = ""
    webhook_public_key: str = ""
    # Discord bot tokens by the name of the variable that holds them (`token_env` in the config).
    discord_tokens: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, discord_token_envs: tuple[str, ...] = ()
    ) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            secret_key=env.get(SECRET_KEY_ENV, ""),
            sendgrid_api_key=env.get(SENDGRID_API_KEY_ENV, "").strip(),
            smtp_password=env.get(SMTP_PASSWORD_ENV, ""),
            webhook_public_key=env.get(WEBHOOK_PUBLIC_KEY_ENV, "").strip(),
            discord_tokens={
                name: env[name].strip() for name in discord_token_envs if env.get(name)
            },
        )

    def __repr__(self) -> str:
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Mapping):
                shown.append(f"{item.name}={{{', '.join(f'{k}: <défini>' for k in value)}}}")
            else:
                shown.append(f"{item.name}={'<défini>' if value else '<absent>'}")
        return f"Secrets({', '.join(shown)})"


@dataclass(eq=False)
class HubServices:
    """What every channel calls. Build it with `HubServices.open` (it owns the database)."""

    config: Config
    db: Database
    secrets: Secrets
    # Set by a service after it queued e-mails in a committed transaction; `hub run`'s mail
    # worker sleeps on it, so a registration's confirmation leaves within the second.
    mail_wakeup: Wakeup
    subscribers: Subscribers
    events: Events
    _messenger: Messenger | None = field(default=None, repr=False)

    @classmethod
    def build(cls, config: Config, db: Database, secrets: Secrets) -> HubServices:
        wakeup = Wakeup()
        return cls(
            config=config,
            db=db,
            secrets=secrets,
            mail_wakeup=wakeup,
            subscribers=Subscribers(db, config),
            events=Events(db, config),
        )

    @classmethod
    @asynccontextmanager
    async def open(
        cls, config: Config, *, env: Mapping[str, str] | None = None, migrate: bool = True
    ) -> AsyncIterator[HubServices]:
        db = await Database.open(config.database_path, migrate=migrate)
        try:
            yield cls.build(config, db, Secrets.from_env(env))
        finally:
            await db.close()

    @property
    def messenger(self) -> Messenger:
        """The configured mail backend, made on first use: a command that sends nothing never
        imports SendGrid or SMTP, nor needs their secrets."""
        if self._messenger is None:
            from hub.mail.factory import make_messenger

            self._messenger = make_messenger(self.config)
        return self._messenger
