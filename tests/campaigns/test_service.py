"""The `Campaigns` service: what every channel calls. Actions that send nothing never build a
mail backend; refusals are typed, keep their data and name no command; results are dataclasses
with UTC datetimes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.campaigns.errors import (
    CampaignAlreadySent,
    CampaignNotFound,
    CampaignWrongStatus,
    ScheduledInThePast,
    TrialSendFailed,
)
from hub.campaigns.service import Campaigns, CampaignStats
from hub.config import Config
from hub.db import Database
from hub.mail import BatchRejected, Content, Messenger, Outcome, Recipient
from hub.mail.factory import make_messenger, outbox_folder
from hub.timeutil import to_utc_text
from tests.campaigns.conftest import AddPeople


class Provider:
    """A messenger provider counting how often a backend was asked for."""

    def __init__(self, messenger: Messenger) -> None:
        self.messenger = messenger
        self.calls = 0

    def __call__(self) -> Messenger:
        self.calls += 1
        return self.messenger


class Refusing:
    name = "refusing"
    max_batch = 1000

    async def send(self, content: Content, recipients: list[Recipient]) -> list[Outcome]:
        raise BatchRejected("The from address does not match a verified Sender Identity")

    async def close(self) -> None:
        pass


async def test_actions_that_send_nothing_never_ask_for_a_mail_backend(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    await add_people(2)
    provider = Provider(make_messenger(config))
    campaigns = Campaigns(db, config, provider)

    campaign = await campaigns.create(draft)
    assert await campaigns.audience_size(campaign.list) == 2
    assert await campaigns.require_audience(campaign) == 2
    at = datetime.now(UTC) + timedelta(days=1)
    scheduled = await campaigns.schedule(campaign.id, at)
    assert scheduled.status == "scheduled"
    assert scheduled.scheduled_at == at.replace(microsecond=0)
    assert [c.id for c in await campaigns.latest()] == [campaign.id]
    assert (await campaigns.progress(campaign.id)).audience == 0
    assert await campaigns.stats(campaign.id) == CampaignStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert await campaigns.failures(campaign.id) == []
    assert (await campaigns.cancel(campaign.id)).status == "cancelled"
    assert provider.calls == 0

    outcomes = await campaigns.send_test(campaign.id, ["equipe@example.org"])
    assert [o.accepted for o in outcomes] == [True] and provider.calls == 1
    (sent,) = (outbox_folder(config) / str(campaign.id)).glob("*.eml")
    assert b"Subject: [TEST] " in sent.read_bytes()


async def test_refusals_are_typed_keep_their_data_and_name_no_command(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    await add_people(2)
    campaigns = Campaigns(db, config, lambda: make_messenger(config))

    with pytest.raises(CampaignNotFound) as missing:
        await campaigns.stats(42)
    assert missing.value.campaign_id == 42 and str(missing.value) == "aucune campagne n°42"

    campaign = await campaigns.create(draft)
    with pytest.raises(ScheduledInThePast) as past:
        await campaigns.schedule(campaign.id, datetime(2020, 1, 1, 8, tzinfo=UTC))
    assert past.value.local == datetime(2020, 1, 1, 9, tzinfo=config.tz)
    # How to type a date is the channel's (the CLI adds its own example): none in the domain.
    assert str(past.value) == "1er janvier 2020 à 9h est déjà passé ; indiquez une date à venir"

    with pytest.raises(CampaignWrongStatus) as not_sending:
        await campaigns.pause(campaign.id)
    assert (not_sending.value.status, not_sending.value.allowed) == ("draft", ("sending",))
    assert not_sending.value.action == "pause"

    await campaigns.sender().start(campaign.id)
    with pytest.raises(CampaignAlreadySent) as again:
        await campaigns.create(draft)
    assert (again.value.sent_by, again.value.sent_by_status) == (campaign.id, "sent")
    assert again.value.campaign_id is None and "créez un nouveau numéro" in str(again.value)

    with pytest.raises(CampaignWrongStatus) as sent:
        await campaigns.sender().start(campaign.id)
    assert (sent.value.campaign_id, sent.value.status, sent.value.action) == (
        campaign.id,
        "sent",
        "start",
    )
    refused = Campaigns(db, config, Refusing)
    with pytest.raises(TrialSendFailed) as trial:
        await refused.send_test(campaign.id, ["equipe@example.org"])
    assert not trial.value.in_doubt and "verified Sender Identity" in trial.value.reason
    for error in (missing, past, not_sending, again, sent, trial):
        assert "hub " not in str(error.value) and "--" not in str(error.value)


async def test_failures_say_who_and_why_with_utc_times(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    addresses = await add_people(2)
    campaigns = Campaigns(db, config, Refusing)
    campaign = await campaigns.create(draft)
    before = datetime.now(UTC).replace(microsecond=0)
    progress = await campaigns.sender().start(campaign.id)
    assert progress.failed == 2

    failures = await campaigns.failures(campaign.id)
    assert [f.email for f in failures] == addresses
    assert all("verified Sender Identity" in (f.error or "") for f in failures)
    assert all(f.at.tzinfo == UTC and before <= f.at <= datetime.now(UTC) for f in failures)
    rows = await db.fetch_all("send_log_failures", {"campaign_id": campaign.id})
    assert [f.to_json() for f in failures] == [dict(r) for r in rows]  # what --json printed
    stats = await campaigns.stats(campaign.id)
    assert (stats.audience, stats.accepted, stats.failed) == (2, 0, 2)


async def test_the_worker_runs_on_the_services_messenger(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    addresses = await add_people(3)
    provider = Provider(make_messenger(config))
    campaigns = Campaigns(db, config, provider)
    campaign = await campaigns.create(draft)
    await campaigns.schedule(campaign.id, datetime.now(UTC) + timedelta(hours=1))
    past = to_utc_text(datetime.now(UTC) - timedelta(minutes=1))  # due: the hub was down
    await db.conn.execute("UPDATE campaigns SET scheduled_at = ? WHERE id = ?", (past, campaign.id))
    async with campaigns.worker() as runner:
        while (await campaigns.get(campaign.id)).status != "sent":
            await asyncio.sleep(0.01)
    assert provider.calls == 1 and runner.sender.messenger is provider.messenger
    assert (await campaigns.stats(campaign.id)).accepted == len(addresses)
