"""Structured logs: one line per event, `key=value` pairs, secrets masked, tokens redacted.

Any value of an environment variable whose name says it is secret (KEY, TOKEN, SECRET,
PASSWORD) is replaced by `***` wherever it would appear, so a key can never reach the logs. It is
looked for as plain text, whatever characters it holds (quotes, spaces, `%`, regex signs),
in each value before it is quoted, then in the line as written.

A signed link's token is as good as a password for one person's data (preferences,
registrations, members-only pages): in any logged URL or path, the segment after a
token-bearing prefix (`hub.tokens.LINK_PATHS`) and the value of a `cle` parameter (members-only
archive pages, the events agenda) become `[jeton]`.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import UTC, datetime

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)
MASK = "***"
REDACTED = "[jeton]"
KEY_PARAMETER = "cle"
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _secrets() -> list[str]:
    return sorted(
        (v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 6),
        key=len,
        reverse=True,
    )


def _token_pattern() -> re.Pattern[str]:
    """A path segment after a token-bearing prefix, or the value of `?cle=`/`&cle=`."""
    from hub.tokens import LINK_PATHS  # here: hub.tokens imports the configuration

    prefixes = "|".join(
        re.escape(p) for p in sorted(set(LINK_PATHS.values()), key=len, reverse=True)
    )
    return re.compile(rf"(?P<keep>(?:{prefixes})|[?&;]{KEY_PARAMETER}=)[^/?&#\s\"'\\]+")


_token_re: re.Pattern[str] | None = None


def redact_tokens(text: str) -> str:
    """`/u/AbC…` → `/u/[jeton]`, `?cle=x1…` → `?cle=[jeton]`: what a log keeps of a link."""
    global _token_re
    if _token_re is None:
        _token_re = _token_pattern()
    return _token_re.sub(lambda m: m["keep"] + REDACTED, text)


def mask_secrets(text: str, secrets: list[str]) -> str:
    """Each secret replaced by `***`, matched as plain text (never as a pattern)."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n'):
        return '"' + _escape(text) + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=… logger=… event="…" key=value…`; extra fields come from `extra={…}`."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        secrets = _secrets()
        # Masked before quoting (which escapes quotes and newlines a secret may hold), then
        # again in the line, raw and escaped, for a secret spread over a key and its value.
        line = " ".join(
            f"{k}={_quote(redact_tokens(mask_secrets(str(v), secrets)))}" for k, v in fields.items()
        )
        return mask_secrets(line, [form for s in secrets for form in (s, _escape(s))])


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
