"""Membership of the federation: granted or withdrawn by staff, with what follows from it.

A withdrawn membership reaches beyond the subscriptions (members-only lists are left) into
the events (registrations the record no longer allows are cancelled), in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from hub.subscribers.addresses import normalise_email
from hub.subscribers.model import MEMBERSHIP_WITHDRAWN, Consent, MembershipChange
from hub.timeutil import utcnow

if TYPE_CHECKING:
    from hub.events.model import Event
    from hub.subscribers.service import Subscribers


class Registrations(Protocol):
    """What a withdrawn membership needs of the events service."""

    async def cancel_ineligible(self, subscriber_id: int, now: datetime) -> Sequence[Event]: ...


async def set_member(
    subscribers: Subscribers, email: str, member: bool, source: str, note: str = ""
) -> MembershipChange | None:
    """Grant or withdraw membership, recorded with who did it and why; None if the address
    is unknown. A withdrawn membership ends the person's members-only subscriptions: they
    are for members; and, in the same transaction, the person's registrations to events
    their record no longer allows are cancelled by the events service (seats to the
    waiting lists, the person told by e-mail, the mail worker woken after the commit)."""
    db, config = subscribers.db, subscribers.config
    if subscribers.registrations is not None:
        registrations = subscribers.registrations()
    else:
        # Imported here: the events service is built on this one.
        from hub.events.service import Events

        registrations = Events(db, config)
    email = normalise_email(email)
    now = utcnow()
    async with db.transaction():
        row = await db.fetch_one("subscriber_by_email", {"email": email})
        if row is None:
            return None
        if bool(row["member"]) == member:
            return MembershipChange(changed=False, left=[])
        person = {"id": row["id"], "member": int(member), "now": now}
        await db.execute("subscriber_set_member", person)
        await db.execute("membership_change_insert", person | {"source": source, "note": note})
        left: list[str] = []
        reserved = [key for key, item in config.lists.items() if item.members_only]
        for key in [] if member else reserved:
            left += await subscribers.store.end(row["id"], key, "unsubscribed", now)
        withdrawal = Consent(source=source, text=MEMBERSHIP_WITHDRAWN, version="")
        await subscribers.store.record_consents([row["id"]], left, ["unsubscribe"], withdrawal, now)
        cancelled = (
            () if member else await registrations.cancel_ineligible(row["id"], datetime.now(UTC))
        )
    if cancelled:
        subscribers.mail_queued()  # each cancelled registration queued its e-mail
    return MembershipChange(changed=True, left=left, cancelled=[e.title for e in cancelled])
