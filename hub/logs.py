"""Structured logs: one line per event, `key=value` pairs, secrets masked.

Any value of an environment variable whose name says it is secret (KEY, TOKEN, SECRET,
PASSWORD) is replaced by `***` wherever it would appear, so a key can never reach the logs.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import UTC, datetime

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _secrets() -> list[str]:
    return sorted(
        (v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 6),
        key=len,
        reverse=True,
    )


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
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
        line = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        for secret in _secrets():
            line = line.replace(secret, "***")
        return line


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
