"""A campaign through the sendgrid backend, and SendGrid's signed events coming back to the hub:
the figures staff read, and the addresses no later send may reach."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from hub.campaigns.sender import Sender
from hub.campaigns.service import Campaigns, CampaignStats, audience_size, create_campaign
from hub.config import Config
from hub.db import Database
from hub.mail.sendgrid import SendgridMessenger
from hub.subscribers.service import Subscribers
from hub.web.app import create_app
from hub.web.webhooks import PUBLIC_KEY_ENV
from loopback.sendgrid import SendgridServer
from loopback.webhook_signing import new_key, public_key_b64
from tests.campaigns.conftest import AddPeople


async def test_events_flow_back_into_the_figures_and_the_suppression_list(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = new_key()
    monkeypatch.setenv(PUBLIC_KEY_ENV, public_key_b64(key))
    addresses = await add_people(10)
    campaign = await create_campaign(db, config, draft)

    async with SendgridServer() as sendgrid:
        api = dataclasses.replace(config.sendgrid, api_url=sendgrid.url)
        messenger = SendgridMessenger(dataclasses.replace(config, sendgrid=api), "SG.test")
        try:
            progress = await Sender(db, config, messenger).start(campaign.id)
        finally:
            await messenger.close()
        assert progress.accepted == 10 and not sendgrid.violations
        assert sorted(sendgrid.recipients()) == sorted(addresses)

        async with TestServer(create_app(config)) as hub:
            hub_url = str(hub.make_url("")).rstrip("/")
            delivered = sendgrid.events("delivered", addresses[:8])
            opens = sendgrid.events("open", addresses[:5]) + sendgrid.events("open", addresses[:2])
            batches = [
                delivered,
                opens,
                sendgrid.events("click", addresses[1:3], url="https://www.fcpts.org/"),
                sendgrid.events("bounce", addresses[8:9], type="bounce", reason="550 5.1.1"),
                sendgrid.events("bounce", addresses[9:10], type="blocked", reason="421 try later"),
                sendgrid.events("spamreport", addresses[7:8]),
                sendgrid.events("unsubscribe", addresses[6:7]),
                delivered,  # SendGrid retries a batch: it counts once
            ]
            for events in batches:
                assert await sendgrid.post_events(hub_url, events, key) == 200
            forged = sendgrid.events("spamreport", addresses[:1])
            assert await sendgrid.post_events(hub_url, forged, new_key()) == 403

    stats = await Campaigns(db, config).stats(campaign.id)
    # Bounces are hard bounces only: the soft one ("blocked") may still be delivered later.
    assert stats == CampaignStats(
        audience=10,
        accepted=10,
        failed=0,
        skipped=0,
        delivered=8,
        unique_opens=5,
        unique_clicks=2,
        bounces=1,
        spam_reports=1,
        unsubscriptions=1,
    )

    subscribers = Subscribers(db, config)
    assert await subscribers.is_suppressed(addresses[8])  # hard bounce
    assert await subscribers.is_suppressed(addresses[7])  # spam report
    assert not await subscribers.is_suppressed(addresses[9])  # a soft bounce suppresses nobody
    assert not await subscribers.is_suppressed(addresses[0])  # the forged report did nothing
    # The next send reaches neither the suppressed nor the unsubscribed.
    assert await audience_size(db, "bimestrielle") == 7
