"""What the provider tells us happened to our mail (SendGrid Event Webhook), and its effects.

Each event is recorded once, by SendGrid's `sg_event_id`, tied to its campaign, send log row
and subscriber when they can be found (the `campaign_id` and `send_log_id` custom args, else
the address). Effects: a hard bounce suppresses the address everywhere, a spam report too
(reason "complaint"); so does a drop because SendGrid itself holds the address as bounced,
invalid, reported as spam or unsubscribed (its own suppression lists: it will drop every later
message too). An unsubscribe (or group unsubscribe) ends the campaign's list, or every list
when the campaign is unknown. A soft bounce ("blocked"), another drop, a delivery, an open, a
click are only recorded. Other event types (processed, deferred…) are neither recorded nor
acted upon.

A malformed item (not an object, an `event` that is not a text) is logged and skipped as
ignored; the other items of its batch are applied. A custom arg that is not an id SQLite can hold
is not taken for one: the event is tied by its address, so a hard bounce still suppresses it.

An event already recorded is neither counted nor acted upon again. Effects are applied before
the batch is recorded, and each of them is idempotent: if the process dies in between, SendGrid
posts the batch again and the effects are applied again, harmlessly, before it is recorded.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from hub.config import Config
from hub.db import Database
from hub.ids import parse_id
from hub.subscribers.service import InvalidEmail, Subscribers
from hub.timeutil import to_utc_text, utcnow
from hub.tokens import ALL_LISTS

log = logging.getLogger(__name__)

HANDLED = frozenset(
    {
        "delivered",
        "open",
        "click",
        "bounce",
        "dropped",
        "spamreport",
        "unsubscribe",
        "group_unsubscribe",
    }
)
UNSUBSCRIBES = frozenset({"unsubscribe", "group_unsubscribe"})
# The reasons of a drop that name SendGrid's own suppression lists, and ours for them.
DROP_SUPPRESSIONS = {
    "bounced address": "bounce",
    "invalid": "bounce",  # an address SendGrid cannot send to at all
    "spam reporting address": "complaint",
    "unsubscribed address": "manual",  # unsubscribed from everything at SendGrid
}
MAX_DETAIL = 500  # characters kept of a reason or clicked URL
MAX_EVENT_ID = 200


@dataclass
class RecordResult:
    recorded: int = 0  # new events stored
    duplicates: int = 0  # already recorded (or twice in the batch): nothing done again
    ignored: int = 0  # event types we do not handle, and items that are not events
    suppressed: int = 0  # addresses suppressed (hard bounce, spam report, telling drop)
    unsubscribed: int = 0  # subscriptions ended by unsubscribe events

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Event:
    event_id: str
    event: str
    email: str
    detail: str
    occurred_at: str
    bounce_type: str = ""
    campaign_id: int | None = None
    send_log_id: int | None = None
    subscriber_id: int | None = None
    list: str | None = None  # the campaign's list


def _int(value: object) -> int | None:
    """A custom arg (SendGrid sends them as strings) as an id SQLite can hold, or None."""
    return parse_id(value.strip() if isinstance(value, str) else value)


def _text(value: object) -> str:
    return value[:MAX_DETAIL] if isinstance(value, str) else ""


def _occurred_at(value: object, received_at: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return to_utc_text(datetime.fromtimestamp(value, UTC))
        except (OverflowError, OSError, ValueError):
            pass
    return received_at


def _parse(item: object, received_at: str) -> _Event | None:
    """The event of one webhook item, or None for a type we do not handle; ValueError for an
    item that is not an event at all."""
    if not isinstance(item, dict):
        raise ValueError(f"item is {type(item).__name__}, not an object")
    kind = item.get("event")
    if not isinstance(kind, str):
        raise ValueError(f"event is {type(kind).__name__}, not a text")
    if kind not in HANDLED:
        return None
    event_id = item.get("sg_event_id")
    if not isinstance(event_id, str) or not event_id.strip():
        # Without SendGrid's id, the event's own content identifies it (and its repetitions).
        canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
        event_id = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    bounce_type = _text(item.get("type")) if kind == "bounce" else ""
    if kind == "bounce":
        detail = f"{bounce_type or '?'}: {_text(item.get('reason'))}"
    elif kind == "dropped":
        detail = _text(item.get("reason"))
    elif kind == "click":
        detail = _text(item.get("url"))
    else:
        detail = ""
    return _Event(
        event_id=event_id.strip()[:MAX_EVENT_ID],
        event=kind,
        email=_text(item.get("email")),
        detail=detail[:MAX_DETAIL],
        occurred_at=_occurred_at(item.get("timestamp"), received_at),
        bounce_type=bounce_type,
        campaign_id=_int(item.get("campaign_id")),
        send_log_id=_int(item.get("send_log_id")),
    )


async def _resolve(db: Database, subscribers: Subscribers, event: _Event) -> None:
    """Tie the event to rows that exist: the send log row (and through it the campaign and the
    person), else the campaign, else the person by address."""
    campaign_id, event.campaign_id = event.campaign_id, None
    send_log_id, event.send_log_id = event.send_log_id, None
    if send_log_id is not None:
        row = await db.fetch_one("delivery_send_log_target", {"send_log_id": send_log_id})
        if row is not None:
            event.send_log_id = row["send_log_id"]
            event.campaign_id, event.list = row["campaign_id"], row["list"]
            event.subscriber_id = row["subscriber_id"]
    if event.campaign_id is None and campaign_id is not None:
        row = await db.fetch_one("delivery_campaign_target", {"campaign_id": campaign_id})
        if row is not None:
            event.campaign_id, event.list = row["campaign_id"], row["list"]
    if event.subscriber_id is None and event.email:
        try:
            person = await subscribers.find(event.email)
        except InvalidEmail:
            person = None
        if person is not None:
            event.subscriber_id = person.id


def _suppression_reason(event: _Event) -> str | None:
    """The suppression an event calls for (see SUPPRESSION_REASONS), or None."""
    if event.event == "bounce":
        return "bounce" if event.bounce_type == "bounce" else None
    if event.event == "spamreport":
        return "complaint"
    if event.event == "dropped":
        return DROP_SUPPRESSIONS.get(event.detail.strip().lower())
    return None


async def _apply(subscribers: Subscribers, event: _Event, result: RecordResult) -> None:
    """The event's effect on subscriptions, if it has one; each is idempotent."""
    reason = _suppression_reason(event)
    if reason is not None:
        email = event.email
        if event.subscriber_id is not None and not email:
            person = await subscribers.get(event.subscriber_id)
            email = person.email if person else ""
        if not email:
            return
        try:
            await subscribers.suppress(email, reason, event.detail)
        except InvalidEmail:
            log.warning("provider event with an invalid address", extra={"event": event.event})
            return
        result.suppressed += 1
    elif event.event in UNSUBSCRIBES and event.subscriber_id is not None:
        left = await subscribers.unsubscribe(event.subscriber_id, event.list or ALL_LISTS, "email")
        result.unsubscribed += len(left)


async def record_events(
    db: Database, config: Config, events: list[Any], *, subscribers: Subscribers | None = None
) -> RecordResult:
    """Record a webhook batch once and apply its effects (see the module's docstring), through
    the process's subscribers service (`hub run` passes its own)."""
    result = RecordResult()
    received_at = utcnow()
    parsed: dict[str, _Event] = {}
    for position, item in enumerate(events):
        try:
            event = _parse(item, received_at)
        except Exception as exc:  # _parse only reads the item: whatever fails is the item's
            log.warning(
                "provider event skipped: malformed",
                extra={"position": position, "problem": f"{type(exc).__name__}: {exc}"[:200]},
            )
            event = None
        if event is None:
            result.ignored += 1
        elif event.event_id in parsed:
            result.duplicates += 1
        else:
            parsed[event.event_id] = event
    known = {
        row["event_id"]
        for row in await db.fetch_all("delivery_events_known", {"ids": json.dumps(list(parsed))})
    }
    result.duplicates += len(known)
    new = [event for event_id, event in parsed.items() if event_id not in known]
    subscribers = subscribers or Subscribers(db, config)
    for event in new:
        await _resolve(db, subscribers, event)
        await _apply(subscribers, event, result)
    async with db.transaction():
        for event in new:
            row = await db.fetch_one(
                "delivery_event_insert",
                {
                    "event_id": event.event_id,
                    "event": event.event,
                    "campaign_id": event.campaign_id,
                    "send_log_id": event.send_log_id,
                    "subscriber_id": event.subscriber_id,
                    "detail": event.detail,
                    "occurred_at": event.occurred_at,
                    "received_at": received_at,
                },
            )
            if row is None:  # recorded meanwhile by a concurrent post of the same batch
                result.duplicates += 1
            else:
                result.recorded += 1
    return result
