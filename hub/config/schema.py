"""The configuration's schema: the typed, frozen dataclasses a `Config` is made of.

Every table of `config/hub.toml` is one dataclass here; its fields' types and defaults are the
file's contract, which `hub.config.build` checks value by value. Secrets never live here: they
are read from the environment by `hub.secrets`.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.errors import UserError

if typing.TYPE_CHECKING:
    from hub.community.servers import ServerConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "hub.toml"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
SAMPLE_FEED = PROJECT_ROOT / "newsletters" / "sample" / "actualites-fcpts.xml"


class ConfigError(UserError):
    """A configuration file that cannot be used, with a message meant for the person editing it."""


@dataclass(frozen=True)
class FeedSource:
    name: str
    url: str


@dataclass(frozen=True)
class FeedsConfig:
    sources: list[FeedSource] = field(default_factory=list)
    pull_every_minutes: int = 30
    timeout_seconds: float = 20.0
    max_bytes: int = 10_000_000


@dataclass(frozen=True)
class Section:
    title: str
    categories: list[str]
    max_items: int = 6
    agenda: bool = False


@dataclass(frozen=True)
class Edition:
    name: str
    colour: str
    sections: list[str]
    list: str
    description: str = ""
    period_months: int = 1
    first_number: int = 1
    members_only: bool = False


@dataclass(frozen=True)
class Federation:
    name: str = "Fédération nationale des CPTS"
    short_name: str = "FCPTS"
    website: str = "https://www.fcpts.org/"
    postal_address: str = "Fédération nationale des CPTS (FCPTS), France"
    contact_email: str = "contact@fcpts.org"
    logo_url: str = ""


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = "http://127.0.0.1:8080"
    # Slow clients (see hub.web.connections): a request head must arrive within this time of the
    # connection opening or of the previous answer, a body within its own time once its head
    # arrived, and one address holds at most this many connections (0: no cap).
    header_timeout_seconds: float = 15.0
    body_timeout_seconds: float = 30.0
    max_connections_per_address: int = 64


@dataclass(frozen=True)
class MailConfig:
    backend: str = "outbox"
    from_address: str = "lettre@fcpts.org"
    from_name: str = "FCPTS"
    reply_to: str = ""
    # The mailto: half of List-Unsubscribe; mail to it is read by staff (RFC 2369).
    unsubscribe_address: str = "desinscription@fcpts.org"
    # Recipients per provider call: one batch is written before and after its call.
    batch_size: int = 1000


@dataclass(frozen=True)
class SendgridConfig:
    """SendGrid Mail Send v3. The key is read from SENDGRID_API_KEY, never from this file."""

    api_url: str = "https://api.sendgrid.com"  # env HUB_SENDGRID_API_URL
    timeout_seconds: float = 30.0
    max_retries: int = 5
    webhook_max_bytes: int = 5_000_000
    webhook_max_age_seconds: int = 300


@dataclass(frozen=True)
class SmtpConfig:
    """SMTP relay. The password is read from HUB_SMTP_PASSWORD, never from this file."""

    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class MailingList:
    """A list people subscribe to; an edition sends to its list."""

    name: str
    description: str = ""
    members_only: bool = False  # only member contacts may be on it


@dataclass(frozen=True)
class SubscriptionsConfig:
    consent_text: str = (
        "J'accepte de recevoir les lettres d'information de la FCPTS choisies ci-dessus. "
        "Je peux me désinscrire à tout moment par le lien présent dans chaque e-mail."
    )
    consent_version: str = "2026-12"
    confirm_days: int = 7
    signups_per_ip_per_hour: int = 10


EVENT_MODES = ("online", "in-person")
AUDIENCES = ("public", "members", "salaries", "elus", "salaries+elus", "coordinateurs")
WAITLIST_POLICIES = ("auto", "offer", "none")
QUESTION_KINDS = ("text", "choice")


@dataclass(frozen=True)
class Question:
    """A question asked at registration (profession, CPTS, dietary needs, day of the JN…)."""

    key: str
    label: str
    kind: str = "text"  # text | choice
    choices: list[str] = field(default_factory=list)
    required: bool = False


@dataclass(frozen=True)
class EventKind:
    """A kind of meeting and the defaults of its events (each event may override them)."""

    name: str
    description: str = ""
    mode: str = "online"  # online | in-person
    audience: str = "members"  # see AUDIENCES
    capacity: int = 0  # 0: no limit
    waitlist: str = "auto"  # auto: a freed seat is given; offer: held N hours; none
    offer_hours: int = 48
    reminders_minutes: list[int] = field(default_factory=lambda: [1440, 60])
    questions: list[Question] = field(default_factory=list)


@dataclass(frozen=True)
class EventsConfig:
    consent_text: str = (
        "J'accepte que la FCPTS utilise ces informations pour organiser cet événement ; "
        "elles sont effacées au plus tard un an après."
    )
    consent_version: str = "2026-12"
    purge_after_months: int = 12  # registrations' personal data erased this long after the end
    registrations_per_ip_per_hour: int = 20


@dataclass(frozen=True)
class Config:
    path: Path
    data_dir: Path
    timezone: str
    federation: Federation
    web: WebConfig
    mail: MailConfig
    feeds: FeedsConfig
    sections: dict[str, Section]
    editions: dict[str, Edition]
    lists: dict[str, MailingList] = field(default_factory=dict)
    sendgrid: SendgridConfig = field(default_factory=SendgridConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    subscriptions: SubscriptionsConfig = field(default_factory=SubscriptionsConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    event_kinds: dict[str, EventKind] = field(default_factory=dict)
    discord: dict[str, ServerConfig] = field(default_factory=dict)  # [discord.<key>]: the bots

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "hub.sqlite3"

    @property
    def issues_dir(self) -> Path:
        return self.data_dir / "issues"

    def edition(self, key: str) -> Edition:
        try:
            return self.editions[key]
        except KeyError:
            known = ", ".join(sorted(self.editions))
            raise ConfigError(f"édition inconnue {key!r} ; éditions possibles : {known}") from None

    def mailing_list(self, key: str) -> MailingList:
        try:
            return self.lists[key]
        except KeyError:
            known = ", ".join(sorted(self.lists))
            raise ConfigError(f"liste inconnue {key!r} ; listes possibles : {known}") from None

    def event_kind(self, key: str) -> EventKind:
        try:
            return self.event_kinds[key]
        except KeyError:
            known = ", ".join(sorted(self.event_kinds))
            raise ConfigError(
                f"type d'événement inconnu {key!r} ; types possibles : {known}"
            ) from None
