"""Configuration: one TOML file, validated into typed dataclasses.

The package is cut in three: `schema` (the dataclasses and the allowed values), `build` (the
typed builder that checks a TOML value against a schema type) and `loader` (reads the file and
the environment, then checks what types cannot say). Every name is importable from here, as
it was when this was one module. Secrets never live in the file: `hub.secrets` reads them.
"""

from hub.config.build import _build, build, type_name
from hub.config.loader import load_config
from hub.config.schema import (
    AUDIENCES,
    DEFAULT_CONFIG,
    EVENT_MODES,
    PROJECT_ROOT,
    QUESTION_KINDS,
    SAMPLE_FEED,
    TEMPLATES_DIR,
    WAITLIST_POLICIES,
    Config,
    ConfigError,
    Edition,
    EventKind,
    EventsConfig,
    Federation,
    FeedsConfig,
    FeedSource,
    MailConfig,
    MailingList,
    Question,
    Section,
    SendgridConfig,
    SmtpConfig,
    SubscriptionsConfig,
    WebConfig,
)

__all__ = [
    "AUDIENCES",
    "DEFAULT_CONFIG",
    "EVENT_MODES",
    "PROJECT_ROOT",
    "QUESTION_KINDS",
    "SAMPLE_FEED",
    "TEMPLATES_DIR",
    "WAITLIST_POLICIES",
    "Config",
    "ConfigError",
    "Edition",
    "EventKind",
    "EventsConfig",
    "Federation",
    "FeedSource",
    "FeedsConfig",
    "MailConfig",
    "MailingList",
    "Question",
    "Section",
    "SendgridConfig",
    "SmtpConfig",
    "SubscriptionsConfig",
    "WebConfig",
    "_build",
    "build",
    "load_config",
    "type_name",
]
