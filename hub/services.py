"""The hub's composition root: every service built once per process, shared by every channel.

`hub run` builds one `HubServices` in its application factory (the web handlers, the background
work and the Discord bots read it from the app); each CLI command gets the same from its context.
So a rule lives once, in the service, and a channel only translates: a web form, a command line
or a Discord interaction calls the same method and gets the same outcome. Channels never build a
service themselves.

Secrets are read once, by `hub.secrets` (the only module that reads them from the environment),
and handed to the services that need them; their `repr` never shows a value.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub.campaigns.service import Campaigns
from hub.community.agenda import Agenda
from hub.community.identity import Identification
from hub.community.questions import Questions
from hub.community.role_sync import RoleSync
from hub.community.status import BotStatus
from hub.config import Config
from hub.db import Database
from hub.events.service import Events
from hub.privacy import Privacy
from hub.ratelimit import RateLimiter
from hub.secrets import Secrets
from hub.subscribers.service import Subscribers
from hub.subscribers.signup import Signup
from hub.wakeup import Wakeup

if TYPE_CHECKING:
    from hub.mail import Messenger

__all__ = ["HubServices", "Secrets"]  # Secrets lives in hub.secrets; imported from here too


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
    agenda: Agenda
    questions: Questions
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
            agenda=Agenda(db, config, events=events, people=identification),
            questions=Questions(db),
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

            self._messenger = make_messenger(self.config, self.secrets)
        return self._messenger

    async def close_messenger(self) -> None:
        if self._messenger is not None:
            messenger, self._messenger = self._messenger, None
            await messenger.close()
