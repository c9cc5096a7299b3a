"""Provider events recorded on a real SQLite database: what is kept, what is ignored, what
each event does to subscriptions. (The signed webhook around it: tests/web/test_webhooks.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from hub.config import Config
from hub.db import Database
from hub.delivery import MAX_DETAIL, record_events
from hub.subscribers.service import Consent, Person, Subscribers

CONSENT = Consent(source="cli", text="Import de test", version="t1")


@pytest.fixture
async def service(db: Database, config: Config, monkeypatch: pytest.MonkeyPatch) -> Subscribers:
    return Subscribers(db, config)


async def subscribed(service: Subscribers, email: str) -> int:
    await service.subscribe(Person(email=email), ["bimestrielle"], CONSENT, confirmed=True)
    found = await service.find(email)
    assert found is not None
    return found.id


async def events(db: Database) -> list[dict[str, Any]]:
    async with db.conn.execute("SELECT * FROM delivery_events ORDER BY event_id") as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def test_items_that_are_not_handled_events_are_ignored(
    db: Database, config: Config, service: Subscribers
) -> None:
    result = await record_events(
        db,
        config,
        [
            "open",
            None,
            {"event": "processed", "sg_event_id": "p1"},
            {"event": "deferred", "sg_event_id": "d1"},
            {"no": "event"},
            {"event": "open", "sg_event_id": "o1", "email": "x@cpts-exemple.fr"},
        ],
    )
    assert (result.recorded, result.ignored) == (1, 5)
    assert [e["event_id"] for e in await events(db)] == ["o1"]


async def test_a_bounce_without_a_type_is_recorded_but_suppresses_nobody(
    db: Database, config: Config, service: Subscribers
) -> None:
    subscriber_id = await subscribed(service, "doute@cpts-exemple.fr")
    result = await record_events(
        db,
        config,
        [{"event": "bounce", "sg_event_id": "b1", "email": "doute@cpts-exemple.fr"}],
    )
    assert (result.recorded, result.suppressed) == (1, 0)
    assert await service.subscriptions(subscriber_id) == {"bimestrielle": "confirmed"}
    (event,) = await events(db)
    assert (event["subscriber_id"], event["detail"]) == (subscriber_id, "?: ")


async def test_a_hard_bounce_of_an_unknown_address_still_blocks_it(
    db: Database, config: Config, service: Subscribers
) -> None:
    result = await record_events(
        db,
        config,
        [
            {
                "event": "bounce",
                "type": "bounce",
                "sg_event_id": "b2",
                "email": "Inconnu@CPTS-exemple.fr",
                "reason": "550 " + "x" * 2000,
            }
        ],
    )
    assert result.suppressed == 1
    assert await service.is_suppressed("inconnu@cpts-exemple.fr")
    (event,) = await events(db)
    assert event["subscriber_id"] is None and event["campaign_id"] is None
    assert len(event["detail"]) == MAX_DETAIL and event["detail"].startswith("bounce: 550 x")


@pytest.mark.parametrize(
    ("reason", "suppression", "status"),
    [
        ("Bounced Address", "bounce", "bounced"),
        ("Invalid", "bounce", "bounced"),
        ("Spam Reporting Address", "complaint", "complained"),
        ("Unsubscribed Address", "manual", "unsubscribed"),
        ("Invalid SMTPAPI header", None, "confirmed"),  # our request, not the address
        ("Recipient List over Package Quota", None, "confirmed"),
    ],
)
async def test_a_drop_for_an_address_sendgrid_holds_as_unreachable_suppresses_it(
    db: Database,
    config: Config,
    service: Subscribers,
    reason: str,
    suppression: str | None,
    status: str,
) -> None:
    subscriber_id = await subscribed(service, "lachee@cpts-exemple.fr")
    event = {"event": "dropped", "sg_event_id": "dr1", "email": "lachee@cpts-exemple.fr"}

    result = await record_events(db, config, [event | {"reason": reason}])

    assert (result.recorded, result.suppressed) == (1, int(suppression is not None))
    assert await service.subscriptions(subscriber_id) == {"bimestrielle": status}
    async with db.conn.execute("SELECT reason, detail FROM suppressions") as cursor:
        found = [tuple(r) for r in await cursor.fetchall()]
    assert found == ([(suppression, reason)] if suppression else [])


async def test_odd_values_do_not_stop_the_batch(
    db: Database, config: Config, service: Subscribers
) -> None:
    result = await record_events(
        db,
        config,
        [
            {"event": "spamreport", "sg_event_id": "s1", "email": "pas une adresse"},
            {"event": "open", "sg_event_id": "o2", "timestamp": "hier", "send_log_id": "12"},
            {"event": "click", "sg_event_id": "c1", "timestamp": 10**20, "url": ["x"]},
            {"event": "unsubscribe", "sg_event_id": "u1", "email": "inconnu@cpts-exemple.fr"},
        ],
    )
    assert (result.recorded, result.suppressed, result.unsubscribed) == (4, 0, 0)
    recorded = {e["event_id"]: e for e in await events(db)}
    received = recorded["o2"]["received_at"]
    assert recorded["o2"]["occurred_at"] == received  # no usable time: when we got it
    assert recorded["c1"]["occurred_at"] == received
    assert recorded["c1"]["detail"] == ""
    assert recorded["o2"]["send_log_id"] is None  # no such row: not taken for one


async def test_an_effect_applied_before_a_crash_is_applied_again_harmlessly(
    db: Database, config: Config, service: Subscribers
) -> None:
    """Effects come before the record: a batch whose effects were applied but not recorded
    (the process died) is posted again by SendGrid, and ends recorded once, effect once."""
    subscriber_id = await subscribed(service, "plainte@cpts-exemple.fr")
    report = {"event": "spamreport", "sg_event_id": "s2", "email": "plainte@cpts-exemple.fr"}
    await service.suppress("plainte@cpts-exemple.fr", "complaint")  # the effect, then the crash

    result = await record_events(db, config, [report])

    assert (result.recorded, result.suppressed) == (1, 1)
    assert await service.subscriptions(subscriber_id) == {"bimestrielle": "complained"}
    async with db.conn.execute("SELECT reason FROM suppressions") as cursor:
        assert [tuple(r) for r in await cursor.fetchall()] == [("complaint",)]
    again = await record_events(db, config, [report])
    assert (again.recorded, again.duplicates, again.suppressed) == (0, 1, 0)
