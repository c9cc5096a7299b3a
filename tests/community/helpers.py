"""What the community tests share: the code a person got by e-mail, read from the outbox."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from hub.config import Config
from hub.mail.factory import outbox_folder
from hub.mail.outbox import TRANSACTIONAL_FOLDER


def code_mails(config: Config, address: str) -> list[email.message.EmailMessage]:
    """The code e-mails the outbox backend wrote to `address`, oldest first."""
    folder = outbox_folder(config) / TRANSACTIONAL_FOLDER
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        if message["To"].addresses[0].addr_spec == address and "code" in message["Subject"]:
            found.append(message)
    return found


def last_code(config: Config, address: str) -> str:
    """The code of the last e-mail to `address`: the one in its subject and in its text."""
    message = code_mails(config, address)[-1]
    (code,) = re.findall(r"\b(\d{6})\b", str(message["Subject"]))
    text = message.get_body(("plain",))
    assert text is not None and f"    {code}\n" in text.get_content()
    return code


def outbox_count(config: Config) -> int:
    folder: Path = outbox_folder(config) / TRANSACTIONAL_FOLDER
    return len(list(folder.glob("*.eml"))) if folder.exists() else 0
