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
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from hub.campaigns.service import Campaigns
from hub.community.identity import Identification
from hub.community.role_sync import RoleSync
from hub.community.status import BotStatus
from hub.config import Config
from hub.db import Database
from hub.events.service import Events
from hub.privacy import Privacy
from hub.ratelimit import RateLimiter
from hub.subscribers.service import Subscribers
from hub.subscribers.signup import Signup
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
    """What every channel calls. Open it with `HubServices.open` (it owns the database and the
    mail backend) or, around a database someone else owns, `HubServices.build`."""

    config: Config
    db: Database
    secrets: Secrets
    # Notified by a service after it queued e-mails in a committed transaction; `hub run`'s
    # mail worker sleeps on it, so a registration's confirmation leaves within the second.
    mail_wakeup: Wakeup
    subscribers: Subscribers
    events: Events
    campaigns: Campaigns
    privacy: Privacy
    signup: Signup
    rate_limiter: RateLimiter
    identification: Identification
    bot_status: BotStatus
    role_sync: RoleSync
    _messenger: Messenger | None = field(default=None, repr=False)

    @classmethod
    def build(cls, config: Config, db: Database, secrets: Secrets) -> HubServices:
        """Every service, each built once, given the collaborators it needs. The lambdas
        resolve late: the subscribers and the events services each need the other, and the
        mail backend is made only when something sends."""
        wakeup = Wakeup()
        subscribers = Subscribers(
            db, config, registrations=lambda: events, mail_queued=wakeup.notify
        )
        events = Events(db, config, people=subscribers, mail_queued=wakeup.notify)
        rate_limiter = RateLimiter(db)
        messenger: Callable[[], Messenger] = lambda: services.messenger  # noqa: E731
        identification = Identification(db, config, people=subscribers, messenger=messenger)
        services = cls(
            config=config,
            db=db,
            secrets=secrets,
            mail_wakeup=wakeup,
            subscribers=subscribers,
            events=events,
            campaigns=Campaigns(db, config, messenger),
            privacy=Privacy(db, config, subscribers, events, mail_queued=wakeup.notify),
            signup=Signup(db, config, subscribers, rate_limiter),
            rate_limiter=rate_limiter,
            identification=identification,
            bot_status=BotStatus(db),
            role_sync=RoleSync(db, identification),
        )
        return services

    @classmethod
    @asynccontextmanager
    async def open(
        cls, config: Config, *, env: Mapping[str, str] | None = None, migrate: bool = True
    ) -> AsyncIterator[HubServices]:
        """The services over the configured database, closed (mail backend included) when the
        block ends. Secrets are read here, once, Discord tokens included."""
        token_envs = tuple(server.token_env for server in config.discord.values())
        secrets = Secrets.from_env(env, discord_token_envs=token_envs)
        db = await Database.open(config.database_path, migrate=migrate)
        try:
            services = cls.build(config, db, secrets)
            try:
                yield services
            finally:
                await services.close_messenger()
        finally:
            await db.close()

    @property
    def messenger(self) -> Messenger:
        """The configured mail backend, made on first use and shared by the whole process
        (every backend sends concurrently: SMTP opens a connection per batch, SendGrid's
        session multiplexes): a command that sends nothing never imports SendGrid or SMTP,
        nor needs their secrets."""
        if self._messenger is None:
            from hub.mail.factory import make_messenger

            self._messenger = make_messenger(self.config)
        return self._messenger

    async def close_messenger(self) -> None:
        if self._messenger is not None:
            messenger, self._messenger = self._messenger, None
            await messenger.close()
