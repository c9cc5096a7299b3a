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

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from hub.config import Config
from hub.db import Database
from hub.secrets import Secrets
from hub.wakeup import Wakeup

if TYPE_CHECKING:
    from hub.campaigns.service import Campaigns
    from hub.community.agenda import Agenda
    from hub.community.identity import Identification
    from hub.community.questions import Questions
    from hub.community.role_sync import RoleSync
    from hub.community.status import BotStatus
    from hub.events.service import Events
    from hub.mail import Messenger
    from hub.privacy import Privacy
    from hub.ratelimit import RateLimiter
    from hub.subscribers.service import Subscribers
    from hub.subscribers.signup import Signup

__all__ = ["HubServices", "Secrets"]  # Secrets lives in hub.secrets; imported from here too


class HubServices:
    """What every channel calls. Open it with `HubServices.open` (it owns the database and the
    mail backend) or, around a database someone else owns, `HubServices.build`.

    Each service is made on first use, then the same for the whole process (`cached_property`),
    with its collaborators taken from here: a command that lists events never imports the
    campaigns, the Discord services or a mail backend, and `hub run` builds each one once. The
    subscribers and events services need each other; the lambdas resolve late."""

    def __init__(self, config: Config, db: Database, secrets: Secrets) -> None:
        self.config = config
        self.db = db
        self.secrets = secrets
        # Notified by a service after it queued e-mails in a committed transaction; `hub run`'s
        # mail worker sleeps on it, so a registration's confirmation leaves within the second.
        self.mail_wakeup = Wakeup()
        self._messenger: Messenger | None = None

    def __repr__(self) -> str:
        return f"HubServices(database={self.db.path}, secrets={self.secrets!r})"

    @classmethod
    def build(cls, config: Config, db: Database, secrets: Secrets) -> HubServices:
        return cls(config, db, secrets)

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

    # --- people, events, newsletters ---------------------------------------------------------

    @cached_property
    def subscribers(self) -> Subscribers:
        from hub.subscribers.service import Subscribers

        return Subscribers(
            self.db,
            self.config,
            registrations=lambda: self.events,
            mail_queued=self.mail_wakeup.notify,
        )

    @cached_property
    def events(self) -> Events:
        from hub.events.service import Events

        return Events(
            self.db, self.config, people=self.subscribers, mail_queued=self.mail_wakeup.notify
        )

    @cached_property
    def campaigns(self) -> Campaigns:
        from hub.campaigns.service import Campaigns

        return Campaigns(self.db, self.config, lambda: self.messenger)

    @cached_property
    def privacy(self) -> Privacy:
        from hub.privacy import Privacy

        return Privacy(
            self.db,
            self.config,
            self.subscribers,
            self.events,
            mail_queued=self.mail_wakeup.notify,
        )

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        from hub.ratelimit import RateLimiter

        return RateLimiter(self.db)

    @cached_property
    def signup(self) -> Signup:
        from hub.subscribers.signup import Signup

        return Signup(self.db, self.config, self.subscribers, self.rate_limiter)

    # --- Discord --------------------------------------------------------------------------------

    @cached_property
    def identification(self) -> Identification:
        from hub.community.identity import Identification

        return Identification(
            self.db, self.config, people=self.subscribers, messenger=lambda: self.messenger
        )

    @cached_property
    def bot_status(self) -> BotStatus:
        from hub.community.status import BotStatus

        return BotStatus(self.db)

    @cached_property
    def role_sync(self) -> RoleSync:
        from hub.community.role_sync import RoleSync

        return RoleSync(self.db, self.identification)

    @cached_property
    def agenda(self) -> Agenda:
        from hub.community.agenda import Agenda

        return Agenda(self.db, self.config, events=self.events, people=self.identification)

    @cached_property
    def questions(self) -> Questions:
        from hub.community.questions import Questions

        return Questions(self.db)

    # --- mail -----------------------------------------------------------------------------------

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
