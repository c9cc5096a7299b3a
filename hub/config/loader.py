"""The loader: reads the TOML file and the environment into a checked `Config`.

The file is `config/hub.toml` unless `HUB_CONFIG` names another; `HUB_DATA_DIR` overrides the
data folder, `HUB_MAIL_BACKEND` the mail backend, `HUB_SENDGRID_API_URL` SendGrid's address.
Beyond the types (`hub.config.build`), it checks what types cannot say: known names, ranges,
cross-references between tables. A mistake stops with one `ConfigError` for the person editing.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.config.build import build as _build
from hub.config.schema import (
    AUDIENCES,
    DEFAULT_CONFIG,
    EVENT_MODES,
    QUESTION_KINDS,
    WAITLIST_POLICIES,
    Config,
    ConfigError,
    Edition,
    EventKind,
    EventsConfig,
    Federation,
    FeedsConfig,
    MailConfig,
    MailingList,
    Section,
    SendgridConfig,
    SmtpConfig,
    SubscriptionsConfig,
    WebConfig,
)

if typing.TYPE_CHECKING:
    from hub.community.servers import ServerConfig

_MAIL_BACKENDS = ("outbox", "smtp", "sendgrid")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

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
    federation = typing.cast(
        Federation, _build(Federation, raw.get("federation", {}), "[federation]", path)
    )
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
        ("[web].port", web.port, 0),
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
        federation=federation,
        web=web,
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
