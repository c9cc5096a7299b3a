"""Erasing a person (GDPR art. 17): their rows, and what it must reach besides: texts that quote
their address (a provider's bounce reason, a relay's refusal kept in the send log) and the
messages the outbox backend wrote to them.

The address is replaced inside those texts rather than the texts dropped: the rest of a batch's
error, or a bounce reason, stays useful to whoever reads the send log, and names nobody.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.subscribers.model import Subscriber
    from hub.subscribers.service import Subscribers

ERASED = "[adresse effacée]"
_HEADERS_MAX = 64 * 1024  # our messages' headers are a few hundred bytes
# Texts that may quote an address: (query finding them, query rewriting one), by table.
_QUOTING_TEXTS = (
    ("erasure_suppression_details", "erasure_suppression_detail_set"),
    ("erasure_send_log_errors", "erasure_send_log_error_set"),
    ("erasure_send_batch_errors", "erasure_send_batch_error_set"),
    ("erasure_event_details", "erasure_event_detail_set"),
)


def scrubbed(text: str, email: str) -> str:
    """`text` with every occurrence of `email` (in any case) replaced by a neutral mention."""
    return re.sub(re.escape(email), ERASED, text, flags=re.IGNORECASE)


def _recipients(path: Path) -> set[str]:
    """The addresses a message file is sent to (its To header), lower-cased. The e-mail
    parser is imported here: only an erasure with an outbox needs it (~20 ms at import)."""
    from email import policy
    from email.parser import BytesHeaderParser
    from email.utils import getaddresses

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


async def erase_within(
    subscribers: Subscribers, email: str, *, block_unknown: bool
) -> tuple[Subscriber | None, bool]:
    """Inside the caller's transaction (`verify_key` called before): erase the person
    stored under a normalised address; (the person erased or None, whether the address is
    now blocked).

    The address is suppressed first: only its hash is kept, so that no later import or
    send can reach it again. An unknown address is suppressed only with `block_unknown`:
    a typo must not silently block a stranger. The person's row goes with their
    subscriptions and consents; the send log and delivery events keep only counts; texts
    that quote the address (bounce reasons, send errors) lose it.
    """
    db = subscribers.db
    stored = await db.fetch_one("subscriber_by_email", {"email": email})
    block = block_unknown or stored is not None
    known = await subscribers.suppress_within(email, "erased", "") if block else None
    await db.execute("signup_notice_forget", {"email_hash": subscribers.hash(email)})
    if known is not None:
        await db.execute("subscriber_forget_sends", {"id": known.id, "email": email})
        await db.execute("subscriber_forget_events", {"id": known.id})
        await db.execute("subscriber_delete", {"id": known.id})
    for find, rewrite in _QUOTING_TEXTS:
        for row in await db.fetch_all(find, {"email": email}):
            text = scrubbed(row["text"], email)
            await db.execute(rewrite, {"key": row["key"], "text": text})
    blocked = block or await subscribers.suppressions.row(email) is not None
    return known, blocked
