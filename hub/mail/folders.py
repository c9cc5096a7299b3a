"""Where the outbox backend writes its messages. Its own module, importing no backend: the
GDPR erasure deletes the messages written to a person without loading SendGrid or SMTP."""

from __future__ import annotations

from pathlib import Path

from hub.config import Config


def outbox_folder(config: Config) -> Path:
    return config.data_dir / "outbox"
