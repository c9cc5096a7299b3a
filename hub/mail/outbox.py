"""The outbox backend: each message is written as a `.eml` file instead of being sent, so a
fresh clone can run a whole campaign and a person can open what each recipient would get."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from hub.config import Config
from hub.files import private_dir, write_private_bytes
from hub.mail import Content, Outcome, Recipient
from hub.mail.message import RecipientError, build_message

TRANSACTIONAL_FOLDER = "transactionnel"


class OutboxMessenger:
    name = "outbox"

    def __init__(self, config: Config, folder: Path) -> None:
        self.config = config
        self.folder = folder
        self.max_batch = config.mail.batch_size

    def campaign_folder(self, content: Content) -> Path:
        """One folder per campaign; mail outside any campaign (confirmations) shares one."""
        name = TRANSACTIONAL_FOLDER if content.campaign_id is None else str(content.campaign_id)
        return self.folder / name

    async def send(self, content: Content, recipients: Sequence[Recipient]) -> list[Outcome]:
        return await asyncio.to_thread(self._write_all, content, recipients)

    def _write_all(self, content: Content, recipients: Sequence[Recipient]) -> list[Outcome]:
        folder = self.campaign_folder(content)
        private_dir(folder)
        outcomes = []
        for recipient in recipients:
            try:
                message = build_message(content, recipient, self.config)
            except RecipientError as exc:
                outcomes.append(Outcome(recipient, error=str(exc)))
                continue
            _write_atomically(folder / _file_name(recipient), message.as_bytes())
            outcomes.append(Outcome(recipient, message_id=message["Message-ID"]))
        return outcomes

    async def close(self) -> None:
        return None


def _file_name(recipient: Recipient) -> str:
    """Named after the send log row, so sending it again replaces the file instead of adding
    a second one; otherwise unique and in time order."""
    if recipient.send_log_id is not None:
        return f"{recipient.send_log_id:06d}.eml"
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.eml"


def _write_atomically(path: Path, data: bytes) -> None:
    """Nobody ever reads a half-written message: write aside, then rename over."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write_private_bytes(partial, data)  # 0600: it is someone's mail
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
