"""`hub run`'s side of campaigns: scheduled sends start at their time (late ones when the hub
comes back), orphaned ones resume, times typed in Paris time are stored in UTC."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.campaigns.errors import CampaignError
from hub.campaigns.runner import CampaignRunner, campaigns_worker
from hub.campaigns.sender import read_progress
from hub.campaigns.service import create_campaign, get_campaign, schedule_campaign
from hub.config import Config
from hub.db import Database
from hub.mail.factory import make_messenger
from hub.mail.sendgrid import SendgridMessenger
from hub.timeutil import DateInputError, parse_local_datetime, to_utc_text
from loopback.sendgrid import SendgridServer
from tests.campaigns.conftest import AddPeople, dead_pid, received

PARIS = ZoneInfo("Europe/Paris")


async def _until_idle(runner: CampaignRunner) -> None:
    while runner.tasks:
        await asyncio.gather(*runner.tasks.values())


async def test_a_campaign_due_while_the_hub_was_down_starts_when_it_comes_back(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    caplog: pytest.LogCaptureFixture,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    server, messenger = sendgrid
    addresses = await add_people(5)
    campaign = await create_campaign(db, config, draft)
    await schedule_campaign(db, config, campaign.id, datetime.now(UTC) + timedelta(hours=1))
    runner = CampaignRunner(db, config, messenger)

    await runner.tick()  # not yet due
    assert not runner.tasks
    assert (await get_campaign(db, campaign.id)).status == "scheduled"

    # The hub was down when the time came: two hours later it comes back.
    past = to_utc_text(datetime.now(UTC) - timedelta(hours=2))
    await db.conn.execute("UPDATE campaigns SET scheduled_at = ? WHERE id = ?", (past, campaign.id))
    with caplog.at_level(logging.WARNING, logger="hub.campaigns"):
        await runner.tick()
        await runner.tick()  # a second check while it sends does not start it twice
        await _until_idle(runner)
    (late,) = [r for r in caplog.records if r.getMessage() == "campaign late"]
    assert late.campaign == campaign.id and 7100 < late.late_seconds < 7300
    assert (await get_campaign(db, campaign.id)).status == "sent"
    assert sorted(server.recipients()) == sorted(addresses)  # each once


async def test_a_scheduled_campaign_to_nobody_stays_scheduled_and_is_reported_once(
    db: Database, config: Config, draft: Path, caplog: pytest.LogCaptureFixture
) -> None:
    campaign = await create_campaign(db, config, draft)
    await schedule_campaign(db, config, campaign.id, datetime.now(UTC) + timedelta(hours=1))
    past = to_utc_text(datetime.now(UTC) - timedelta(minutes=1))
    await db.conn.execute("UPDATE campaigns SET scheduled_at = ? WHERE id = ?", (past, campaign.id))
    runner = CampaignRunner(db, config, make_messenger(config))

    with caplog.at_level(logging.WARNING, logger="hub.campaigns"):
        for _ in range(3):  # every check tries again, the log says it once
            await runner.tick()
            await _until_idle(runner)

    (refused,) = [r for r in caplog.records if r.getMessage() == "campaign not sent"]
    assert refused.campaign == campaign.id and "aucun abonné confirmé" in refused.reason
    assert (await get_campaign(db, campaign.id)).status == "scheduled"


async def test_a_campaign_orphaned_by_a_dead_process_is_taken_over(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    addresses = await add_people(7)
    campaign = await create_campaign(db, config, draft)
    now = to_utc_text(datetime.now(UTC))
    # What `start` leaves once it has frozen the audience, if its process then dies.
    await db.conn.execute(
        "INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status, updated_at) "
        "SELECT ?, 0, subscriber_id, email, 'pending', ? FROM list_audience WHERE list = ?",
        (campaign.id, now, "bimestrielle"),
    )
    await db.execute(
        "send_batches_create", {"campaign_id": campaign.id, "first_seq": 0, "now": now}
    )
    await db.conn.execute(
        "UPDATE campaigns SET status = 'sending', owner = ?, lease_until = ? WHERE id = ?",
        (f"{socket.gethostname()}:{dead_pid()}:x", "2999-01-01T00:00:00+00:00", campaign.id),
    )
    runner = CampaignRunner(db, config, make_messenger(config))
    await runner.tick()
    await _until_idle(runner)
    assert (await get_campaign(db, campaign.id)).status == "sent"
    assert sorted(received(config, campaign.id)) == sorted(addresses)


async def test_a_shutdown_while_batches_wait_to_be_sent_puts_them_back_not_in_doubt(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    server, messenger = sendgrid
    addresses = await add_people(9)
    campaign = await create_campaign(db, config, draft)
    await schedule_campaign(db, config, campaign.id, datetime.now(UTC) + timedelta(hours=1))
    past = to_utc_text(datetime.now(UTC) - timedelta(minutes=1))
    await db.conn.execute("UPDATE campaigns SET scheduled_at = ? WHERE id = ?", (past, campaign.id))
    server.rate_limit(2, reset_after=120)  # both batches in flight wait two minutes to go
    runner = CampaignRunner(db, config, messenger)
    await runner.tick()
    while len(server.requests) < 3:  # the batch id, then each batch refused once
        await asyncio.sleep(0.01)

    await runner.stop()  # `hub run` shutting down: the waits are cancelled

    progress = await read_progress(db, campaign.id)
    assert not progress.in_doubt and progress.pending == 9 and server.accepted == []
    assert (await get_campaign(db, campaign.id)).owner is None
    runner = CampaignRunner(db, config, messenger)  # the next `hub run` takes it over
    await runner.tick()
    await _until_idle(runner)
    assert (await get_campaign(db, campaign.id)).status == "sent"
    assert sorted(server.recipients()) == sorted(addresses)  # each once


async def test_scheduling_cannot_turn_back_a_send_that_started_meanwhile(
    db: Database, config: Config, draft: Path
) -> None:
    campaign = await create_campaign(db, config, draft)
    other = await Database.open(config.database_path)  # another process, about to send it
    try:
        await other.conn.execute("BEGIN IMMEDIATE")
        scheduling = asyncio.create_task(
            schedule_campaign(db, config, campaign.id, datetime.now(UTC) + timedelta(days=1))
        )
        await asyncio.sleep(0.2)  # `hub campaign schedule` now waits for the other's write
        await other.conn.execute(
            "UPDATE campaigns SET status = 'sending' WHERE id = ?", (campaign.id,)
        )
        await other.conn.commit()
        with pytest.raises(CampaignError, match="est en cours d'envoi"):
            await scheduling
    finally:
        await other.close()
    assert (await get_campaign(db, campaign.id)).status == "sending"


async def test_a_past_time_is_refused_and_typed_dates_get_an_example(
    db: Database, config: Config, draft: Path
) -> None:
    campaign = await create_campaign(db, config, draft)
    tomorrow = f"{datetime.now(PARIS).date() + timedelta(days=1)} 09:00"  # an example to come
    # The domain says the time passed; the example of a typed date is the CLI's
    # (tests/cli/test_campaign_display.py).
    with pytest.raises(CampaignError, match=r"déjà passé ; indiquez une date à venir$"):
        await schedule_campaign(db, config, campaign.id, datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(DateInputError, match=rf"AAAA-MM-JJ HH:MM.*{tomorrow}"):
        parse_local_datetime("01/12/2026 9h", PARIS, "--at")
    assert (await get_campaign(db, campaign.id)).status == "draft"


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("2027-01-15 09:00", "2027-01-15T08:00:00+00:00"),  # winter: UTC+1
        ("2027-07-15 09:00", "2027-07-15T07:00:00+00:00"),  # summer: UTC+2
        ("2027-03-28 09:00", "2027-03-28T07:00:00+00:00"),  # the morning after the change
        ("2027-10-31 09:00", "2027-10-31T08:00:00+00:00"),
    ],
)
async def test_paris_times_are_stored_in_utc_across_daylight_saving(
    db: Database, config: Config, draft: Path, typed: str, utc: str
) -> None:
    campaign = await create_campaign(db, config, draft)
    await schedule_campaign(db, config, campaign.id, parse_local_datetime(typed, PARIS))
    row = await db.fetch_one("campaign_get", {"id": campaign.id})
    assert row is not None and row["scheduled_at"] == utc
    assert (await get_campaign(db, campaign.id)).scheduled_at == datetime.fromisoformat(utc)


async def test_the_campaigns_worker_sends_what_is_due_and_stops_with_its_block(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    """`campaigns_worker` is `hub run`'s campaign loop as a plain async context manager: its
    first check runs at once; leaving the block stops the checks and the sends in flight
    (their batches put back, the campaign released), so the next process takes it over."""
    server, messenger = sendgrid
    addresses = await add_people(9)
    campaign = await create_campaign(db, config, draft)
    await schedule_campaign(db, config, campaign.id, datetime.now(UTC) + timedelta(hours=1))
    past = to_utc_text(datetime.now(UTC) - timedelta(minutes=1))
    await db.conn.execute("UPDATE campaigns SET scheduled_at = ? WHERE id = ?", (past, campaign.id))
    server.rate_limit(2, reset_after=120)  # both batches in flight wait two minutes to go

    async with campaigns_worker(db, config, messenger) as runner:
        while len(server.requests) < 3:  # the batch id, then each batch refused once
            await asyncio.sleep(0.01)
        assert list(runner.tasks) == [campaign.id]

    assert runner.sender.stopping.is_set() and not runner.tasks
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "campaigns"]
    progress = await read_progress(db, campaign.id)
    assert not progress.in_doubt and progress.pending == 9 and server.accepted == []
    assert (await get_campaign(db, campaign.id)).owner is None

    async with campaigns_worker(db, config, messenger) as runner:  # the next `hub run`
        while (await get_campaign(db, campaign.id)).status != "sent":
            await asyncio.sleep(0.01)
    assert sorted(server.recipients()) == sorted(addresses)  # each once
