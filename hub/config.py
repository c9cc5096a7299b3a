"""Configuration: one TOML file, validated into typed dataclasses.

The file is `config/hub.toml` unless `HUB_CONFIG` names another; `HUB_DATA_DIR` overrides the
data folder. Secrets never live here: they are read from the environment where used. A user
mistake in the file stops with one `ConfigError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.errors import UserError

if typing.TYPE_CHECKING:
    from hub.community.servers import ServerConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
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


_MAIL_BACKENDS = ("outbox", "smtp", "sendgrid")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _type_name(tp: object) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return f"une liste ({_type_name(typing.get_args(tp)[0])})"
    if origin is dict:
        return f"une table de tables ({_type_name(typing.get_args(tp)[1])})"
    if dataclasses.is_dataclass(tp):
        return "une table"
    return {
        str: "un texte",
        int: "un nombre entier",
        float: "un nombre",
        bool: "true ou false",
    }.get(tp, str(tp))


def _build(tp: object, value: object, where: str, file: Path) -> object:
    """Check `value` against the type `tp` and build it, naming `where` on any mismatch."""

    def wrong() -> ConfigError:
        return ConfigError(f"{file} : {where} : attendu {_type_name(tp)}, trouvé {value!r}")

    origin = typing.get_origin(tp)
    if origin is list:
        if not isinstance(value, list):
            raise wrong()
        (item_tp,) = typing.get_args(tp)
        return [_build(item_tp, v, f"{where}[{i}]", file) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise wrong()
        item_tp = typing.get_args(tp)[1]
        return {k: _build(item_tp, v, f"{where}.{k}", file) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise wrong()
        hints = typing.get_type_hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp)}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ConfigError(
                f"{file} : {where} : clé inconnue {unknown[0]!r} ; "
                f"clés possibles ici : {', '.join(sorted(fields))}"
            )
        kwargs = {}
        for name, f in fields.items():
            if name in value:
                kwargs[name] = _build(hints[name], value[name], f"{where}.{name}", file)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(
                    f"{file} : {where} : clé {name!r} manquante ({_type_name(hints[name])})"
                )
        return tp(**kwargs)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (
        isinstance(tp, type)
        and isinstance(value, tp)
        and not (tp is int and isinstance(value, bool))
    ):
        return value
    raise wrong()


_TOP_LEVEL = {
    "hub",
    "federation",
    "web",
    "mail",
    "sendgrid",
    "smtp",
    "lists",
    "subscriptions",
    "feeds",
    "sections",
    "editions",
    "events",
    "event_kinds",
    "discord",
}
_SMTP_SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class _HubSection:
    timezone: str = "Europe/Paris"
    data_dir: str = "var"


def load_config(path: Path | None = None, env: typing.Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; every problem is a `ConfigError` for humans."""
    env = os.environ if env is None else env
    if path is None:
        path = Path(env["HUB_CONFIG"]) if env.get("HUB_CONFIG") else DEFAULT_CONFIG
    path = path.expanduser().resolve()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path} : fichier de configuration introuvable (indiquez son chemin dans HUB_CONFIG)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} : lecture du fichier de configuration impossible : {exc}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} : TOML invalide : {exc}") from None

    unknown = sorted(set(raw) - _TOP_LEVEL)
    if unknown:
        raise ConfigError(
            f"{path} : table [{unknown[0]}] inconnue ; "
            f"tables possibles : {', '.join(sorted(_TOP_LEVEL))}"
        )
    hub = typing.cast(_HubSection, _build(_HubSection, raw.get("hub", {}), "[hub]", path))
    federation = _build(Federation, raw.get("federation", {}), "[federation]", path)
    web = typing.cast(WebConfig, _build(WebConfig, raw.get("web", {}), "[web]", path))
    mail = typing.cast(MailConfig, _build(MailConfig, raw.get("mail", {}), "[mail]", path))
    feeds = typing.cast(FeedsConfig, _build(FeedsConfig, raw.get("feeds", {}), "[feeds]", path))
    sections = typing.cast(
        dict[str, Section], _build(dict[str, Section], raw.get("sections", {}), "[sections]", path)
    )
    editions = typing.cast(
        dict[str, Edition], _build(dict[str, Edition], raw.get("editions", {}), "[editions]", path)
    )

    try:
        ZoneInfo(hub.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{path} : [hub].timezone : fuseau horaire inconnu {hub.timezone!r} "
            "(attendu un nom IANA comme 'Europe/Paris')"
        ) from None

    backend = env.get("HUB_MAIL_BACKEND") or mail.backend
    if backend not in _MAIL_BACKENDS:
        raise ConfigError(
            f"{path} : [mail].backend : mode d'envoi inconnu {backend!r} ; attendu : "
            f"{', '.join(_MAIL_BACKENDS)}"
        )
    mail = dataclasses.replace(mail, backend=backend)
    sendgrid = typing.cast(
        SendgridConfig, _build(SendgridConfig, raw.get("sendgrid", {}), "[sendgrid]", path)
    )
    if env.get("HUB_SENDGRID_API_URL"):
        sendgrid = dataclasses.replace(sendgrid, api_url=env["HUB_SENDGRID_API_URL"])
    sendgrid = dataclasses.replace(sendgrid, api_url=sendgrid.api_url.rstrip("/"))
    if not sendgrid.api_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"{path} : [sendgrid].api_url : attendu une URL http(s), trouvé {sendgrid.api_url!r}"
        )
    smtp = typing.cast(SmtpConfig, _build(SmtpConfig, raw.get("smtp", {}), "[smtp]", path))
    if smtp.security not in _SMTP_SECURITY:
        raise ConfigError(
            f"{path} : [smtp].security : attendu {', '.join(_SMTP_SECURITY)}, "
            f"trouvé {smtp.security!r}"
        )
    lists = typing.cast(
        dict[str, MailingList],
        _build(dict[str, MailingList], raw.get("lists", {}), "[lists]", path),
    )
    subscriptions = typing.cast(
        SubscriptionsConfig,
        _build(SubscriptionsConfig, raw.get("subscriptions", {}), "[subscriptions]", path),
    )

    events = typing.cast(
        EventsConfig, _build(EventsConfig, raw.get("events", {}), "[events]", path)
    )
    event_kinds = typing.cast(
        dict[str, EventKind],
        _build(dict[str, EventKind], raw.get("event_kinds", {}), "[event_kinds]", path),
    )
    _check_event_kinds(event_kinds, path)

    base_dir = path.parent
    resolved_sources = []
    for i, source in enumerate(feeds.sources):
        if not source.url.strip():
            raise ConfigError(
                f"{path} : [feeds].sources[{i}] ({source.name!r}) : URL du flux manquante "
                "(attendu une URL http(s) ou un chemin de fichier)"
            )
        resolved_sources.append(
            dataclasses.replace(source, url=_resolve_location(source.url, base_dir))
        )
    names = [s.name for s in resolved_sources]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(
                f"{path} : [feeds].sources : le nom de flux {name!r} est utilisé deux fois"
            )
    feeds = dataclasses.replace(feeds, sources=resolved_sources)
    minimums: list[tuple[str, float, float]] = [
        ("[feeds].pull_every_minutes", feeds.pull_every_minutes, 1),
        ("[feeds].timeout_seconds", feeds.timeout_seconds, 1),
        ("[feeds].max_bytes", feeds.max_bytes, 1024),
        ("[web].port", typing.cast(WebConfig, web).port, 0),
        ("[web].header_timeout_seconds", web.header_timeout_seconds, 1),
        ("[web].body_timeout_seconds", web.body_timeout_seconds, 1),
        ("[web].max_connections_per_address", web.max_connections_per_address, 0),
        ("[mail].batch_size", mail.batch_size, 1),
        ("[sendgrid].timeout_seconds", sendgrid.timeout_seconds, 1),
        ("[sendgrid].max_retries", sendgrid.max_retries, 0),
        ("[sendgrid].webhook_max_bytes", sendgrid.webhook_max_bytes, 1024),
        ("[sendgrid].webhook_max_age_seconds", sendgrid.webhook_max_age_seconds, 1),
        ("[smtp].port", smtp.port, 1),
        ("[smtp].timeout_seconds", smtp.timeout_seconds, 1),
        ("[subscriptions].confirm_days", subscriptions.confirm_days, 1),
        ("[subscriptions].signups_per_ip_per_hour", subscriptions.signups_per_ip_per_hour, 1),
        ("[events].purge_after_months", events.purge_after_months, 1),
        ("[events].registrations_per_ip_per_hour", events.registrations_per_ip_per_hour, 1),
    ]
    if mail.batch_size > 1000:
        raise ConfigError(
            f"{path} : [mail].batch_size : SendGrid accepte au plus 1000 destinataires par "
            f"envoi, trouvé {mail.batch_size}"
        )
    minimums += [(f"[sections.{k}].max_items", s.max_items, 1) for k, s in sections.items()]
    for key, edition in editions.items():
        minimums += [
            (f"[editions.{key}].period_months", edition.period_months, 1),
            (f"[editions.{key}].first_number", edition.first_number, 1),
        ]
    for where, value, minimum in minimums:
        if value < minimum:
            raise ConfigError(f"{path} : {where} : attendu au moins {minimum}, trouvé {value}")

    for key, edition in editions.items():
        for section_key in edition.sections:
            if section_key not in sections:
                raise ConfigError(
                    f"{path} : [editions.{key}].sections : rubrique inconnue {section_key!r} ; "
                    f"rubriques définies : {', '.join(sorted(sections))}"
                )
        if edition.list not in lists:
            raise ConfigError(
                f"{path} : [editions.{key}].list : liste inconnue {edition.list!r} ; "
                f"listes définies ([lists]) : {', '.join(sorted(lists)) or 'aucune'}"
            )
        if not _COLOUR.fullmatch(edition.colour):
            raise ConfigError(
                f"{path} : [editions.{key}].colour : attendu une couleur comme '#1d4f91', "
                f"trouvé {edition.colour!r}"
            )

    # Typed in a shell, HUB_DATA_DIR is relative to where it is typed; in the file, to the file.
    if env.get("HUB_DATA_DIR"):
        data_dir = Path(env["HUB_DATA_DIR"]).expanduser().absolute()
    else:
        data_dir = base_dir / Path(hub.data_dir).expanduser()
    return Config(
        path=path,
        data_dir=data_dir.resolve(),
        timezone=hub.timezone,
        federation=typing.cast(Federation, federation),
        web=typing.cast(WebConfig, web),
        mail=mail,
        feeds=feeds,
        sections=sections,
        editions=editions,
        lists=lists,
        sendgrid=sendgrid,
        smtp=smtp,
        subscriptions=subscriptions,
        events=events,
        event_kinds=event_kinds,
        discord=_discord_servers(raw.get("discord", {}), path, editions),
    )


def _discord_servers(
    raw: object, path: Path, editions: dict[str, Edition]
) -> dict[str, ServerConfig]:
    from hub.community.servers import load_servers  # it builds on this module's _build

    return load_servers(raw, path, editions)


def _one_of(value: str, allowed: tuple[str, ...], where: str, path: Path) -> None:
    if value not in allowed:
        raise ConfigError(f"{path} : {where} : attendu {', '.join(allowed)}, trouvé {value!r}")


def _check_event_kinds(kinds: dict[str, EventKind], path: Path) -> None:
    for key, kind in kinds.items():
        where = f"[event_kinds.{key}]"
        _one_of(kind.mode, EVENT_MODES, f"{where}.mode", path)
        _one_of(kind.audience, AUDIENCES, f"{where}.audience", path)
        _one_of(kind.waitlist, WAITLIST_POLICIES, f"{where}.waitlist", path)
        if kind.capacity < 0 or kind.offer_hours < 1:
            raise ConfigError(
                f"{path} : {where} : capacity doit être ≥ 0 (0 : sans limite) et "
                f"offer_hours ≥ 1, trouvé {kind.capacity} et {kind.offer_hours}"
            )
        if any(minutes < 1 for minutes in kind.reminders_minutes):
            raise ConfigError(
                f"{path} : {where}.reminders_minutes : des minutes avant le début (≥ 1), "
                f"trouvé {kind.reminders_minutes}"
            )
        seen: set[str] = set()
        for i, question in enumerate(kind.questions):
            qwhere = f"{where}.questions[{i}]"
            _one_of(question.kind, QUESTION_KINDS, f"{qwhere}.kind", path)
            if question.kind == "choice" and not question.choices:
                raise ConfigError(f"{path} : {qwhere} : une question à choix demande des choices")
            if question.key in seen:
                raise ConfigError(f"{path} : {qwhere} : clé {question.key!r} utilisée deux fois")
            seen.add(question.key)


def _resolve_location(url: str, base_dir: Path) -> str:
    """Keep URLs as they are; make file paths absolute, relative to the config file."""
    if "://" in url:
        return url
    return str((base_dir / Path(url).expanduser()).resolve())
