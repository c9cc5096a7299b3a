"""What the bots need from the hub's composition root (`hub.services.HubServices`).

A Protocol rather than HubServices itself: the bots depend only on these services, and a
HubServices that builds them satisfies it structurally (see the report to the lead for the
lines that add `identification`, `bot_status` and `role_sync` to it).
"""

from __future__ import annotations

from typing import Protocol

from hub.community.agenda import Agenda
from hub.community.identity import Identification
from hub.community.questions import Questions
from hub.community.role_sync import RoleSync
from hub.community.status import BotStatus
from hub.config import Config
from hub.db import Database
from hub.privacy import Privacy
from hub.ratelimit import RateLimiter
from hub.services import Secrets
from hub.subscribers.service import Subscribers


class BotServices(Protocol):
    @property
    def config(self) -> Config: ...
    @property
    def db(self) -> Database: ...
    @property
    def secrets(self) -> Secrets: ...
    @property
    def subscribers(self) -> Subscribers: ...
    @property
    def privacy(self) -> Privacy: ...
    @property
    def identification(self) -> Identification: ...
    @property
    def bot_status(self) -> BotStatus: ...
    @property
    def role_sync(self) -> RoleSync: ...
    @property
    def agenda(self) -> Agenda: ...
    @property
    def rate_limiter(self) -> RateLimiter: ...
    @property
    def questions(self) -> Questions: ...
