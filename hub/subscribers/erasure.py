"""What erasing a person (GDPR art. 17) must reach besides their own rows: texts that quote
their address (a provider's bounce reason, a relay's refusal kept in the send log) and the
messages the outbox backend wrote to them.

The address is replaced inside those texts rather than the texts dropped: the rest of a batch's
error, or a bounce reason, stays useful to whoever reads the send log, and names nobody.
"""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

ERASED = "[adresse effacée]"
_HEADERS_MAX = 64 * 1024  # our messages' headers are a few hundred bytes


def scrubbed(text: str, email: str) -> str:
    """`text` with every occurrence of `email` (in any case) replaced by a neutral mention."""
    return re.sub(re.escape(email), ERASED, text, flags=re.IGNORECASE)


def _recipients(path: Path) -> set[str]:
    """The addresses a message file is sent to (its To header), lower-cased."""
    with path.open("rb") as file:
        head = file.read(_HEADERS_MAX)
    message = BytesHeaderParser(policy=policy.default).parsebytes(head)
    return {address.lower() for _, address in getaddresses(message.get_all("To", []))}


def remove_outbox_messages(folder: Path, email: str) -> int:
    """Delete the outbox's messages addressed to `email` (every campaign's and the
    transactional ones); how many were deleted. A file that vanished meanwhile is skipped."""
    if not folder.is_dir():
        return 0
    removed = 0
    for path in sorted(folder.rglob("*.eml")):
        try:
            if email in _recipients(path):
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
