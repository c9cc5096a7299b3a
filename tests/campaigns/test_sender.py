"""Sending a campaign: everyone confirmed once, nobody who left, through pauses, failures and
a dead sending process. The outbox backend writes what each person would receive; "once" is
counted where a second copy would show: calls to the provider, or the local SendGrid's
accepted recipients (the outbox overwrites a resent message's file)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.campaigns.errors import CampaignAlreadySent, CampaignError
from hub.campaigns.model import Campaign
from hub.campaigns.sender import CONCURRENT_BATCHES, Sender, new_owner, owner_alive, read_progress
from hub.campaigns.service import Campaigns, EmptyAudienceError, create_campaign, get_campaign
from hub.config import Config
from hub.db import Database
from hub.mail import BatchRejected, Content, Messenger, Outcome, Recipient
from hub.mail.factory import make_messenger, outbox_folder
from hub.mail.sendgrid import SendgridMessenger
from hub.subscribers.service import Person, Subscribers
from hub.tokens import TokenSigner
from loopback.sendgrid import SendgridServer
from tests.campaigns.conftest import BATCH_SIZE, CONSENT, AddPeople, dead_pid, received

Hook = Callable[[Sequence[Recipient]], Awaitable[None]]


async def pause_campaign(db: Database, config: Config, campaign_id: int) -> Campaign:
    return await Campaigns(db, config).pause(campaign_id)


class ControlledProvider:
    """A backend (the outbox unless `inner` says otherwise), with a hook the test runs before
    each batch is handed over, and batches it refuses: how a test makes things happen *during*
    a send. `calls` records every batch handed over."""

    def __init__(
        self,
        config: Config,
        hook: Hook | None = None,
        refuse: set[str] = frozenset(),
        *,
        inner: Messenger | None = None,
    ):
        self.inner = inner or make_messenger(config)
        self.name = "controlled"
        self.max_batch = self.inner.max_batch
        self.hook = hook
        self.refuse = set(refuse)
        self.calls: list[list[str]] = []

    async def send(self, content: Content, recipients: Sequence[Recipient]) -> list[Outcome]:
        self.calls.append([r.email for r in recipients])
        if self.hook:
            await self.hook(recipients)
        if self.refuse & {r.email for r in recipients}:
            self.refuse -= {r.email for r in recipients}
            raise BatchRejected("The from address does not match a verified Sender Identity")
        return await self.inner.send(content, recipients)

    async def close(self) -> None:
        await self.inner.close()


def at_first_batch(action: Callable[[], Awaitable[object]]) -> Hook:
    """A hook doing `action` (pause, cancel…) once, when the first batch is handed over."""
    done: list[bool] = []

    async def hook(recipients: Sequence[Recipient]) -> None:
        if not done:
            done.append(True)
            await action()

    return hook


async def test_every_confirmed_subscriber_gets_the_issue_once_and_only_them(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    confirmed = await add_people(7)
    await add_people(2, "adherents-flash", prefix="flash", member=True)
    subscribers = Subscribers(db, config)
    await subscribers.subscribe(
        Person("attente@example.org"), ["bimestrielle"], CONSENT, confirmed=False
    )
    gone = await subscribers.find("abonne0003@example.org")
    assert gone is not None
    await subscribers.unsubscribe(gone.id, "bimestrielle", "cli")
    await subscribers.suppress("abonne0005@example.org", "bounce", "550 mailbox unknown")

    campaign = await create_campaign(db, config, draft)
    assert campaign.list == "bimestrielle" and campaign.status == "draft"
    provider = ControlledProvider(config)
    progress = await Sender(db, config, provider).start(campaign.id)

    expected = set(confirmed) - {"abonne0003@example.org", "abonne0005@example.org"}
    handed_over = [email for call in provider.calls for email in call]
    assert sorted(handed_over) == sorted(expected)  # each once
    messages = received(config, campaign.id)
    assert set(messages) == expected
    assert (progress.audience, progress.accepted, progress.failed) == (5, 5, 0)
    row = await db.fetch_one("campaign_get", {"id": campaign.id})
    assert row is not None and row["status"] == "sent" and row["owner"] is None

    # Each message is that person's: their first name, their own signed one-click link.
    signer = TokenSigner.for_config(config)
    person = await subscribers.find("abonne0006@example.org")
    assert person is not None
    message = messages["abonne0006@example.org"][0]
    assert message["Subject"] == campaign.subject
    assert "Bonjour Prénom6" in message.get_body(("plain",)).get_content()
    link = message["List-Unsubscribe"].split("<")[1].split(">")[0]
    token = signer.read(link.rsplit("/u/", 1)[1], "unsubscribe")
    assert (token.subscriber_id, token.list) == (person.id, "bimestrielle")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_a_campaign_to_nobody_is_refused_and_its_issue_number_stays_free(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    server, messenger = sendgrid
    await add_people(2, "adherents-flash", prefix="flash", member=True)  # another list's
    campaign = await create_campaign(db, config, draft)

    with pytest.raises(EmptyAudienceError) as refused:
        await Sender(db, config, messenger).start(campaign.id)

    message = str(refused.value)
    assert "« bimestrielle »" in message and "aucun abonné confirmé" in message
    assert "--" not in message  # the service's words: no command-line option in them
    assert server.requests == []  # not even a SendGrid batch id asked for
    assert (await get_campaign(db, campaign.id)).status == "draft"
    assert (await read_progress(db, campaign.id)).audience == 0
    # Once the list has readers, a later campaign sends that same number.
    addresses = await add_people(3)
    later = await create_campaign(db, config, draft)
    assert later.issue_number == campaign.issue_number == 7
    await Sender(db, config, ControlledProvider(config)).start(later.id)
    assert (await get_campaign(db, later.id)).status == "sent"
    assert sorted(received(config, later.id)) == sorted(addresses)


@pytest.mark.parametrize("first_ends", ["sent", "paused"])
async def test_a_second_campaign_of_the_same_issue_cannot_send_it_again(
    db: Database, config: Config, draft: Path, add_people: AddPeople, first_ends: str
) -> None:
    addresses = await add_people(6)
    first = await create_campaign(db, config, draft)
    second = await create_campaign(db, config, draft)  # before the first left: allowed

    hook = (
        at_first_batch(lambda: pause_campaign(db, config, first.id))
        if first_ends == "paused"
        else None
    )
    provider = ControlledProvider(config, hook)
    await Sender(db, config, provider).start(first.id)
    assert (await get_campaign(db, first.id)).status == first_ends

    with pytest.raises(CampaignAlreadySent) as refused:
        await Sender(db, config, ControlledProvider(config)).start(second.id)
    message = str(refused.value)
    assert f"déjà parti avec la campagne {first.id}" in message
    # Which campaign to continue, for each channel to say how (tests/cli: the commands).
    assert (refused.value.sent_by, refused.value.campaign_id) == (first.id, second.id)
    assert refused.value.sent_by_status == first_ends and "hub " not in message
    assert (await get_campaign(db, second.id)).status == "draft"
    assert not (outbox_folder(config) / str(second.id)).exists()
    progress = await read_progress(db, second.id)
    assert progress.audience == 0  # nothing frozen for the refused campaign
    if first_ends == "paused":
        await Sender(db, config, make_messenger(config)).resume(first.id)
    assert set(received(config, first.id)) == set(addresses)


async def test_who_leaves_during_the_send_is_not_sent_what_has_not_left(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    addresses = await add_people(30)  # 10 batches of 3
    subscribers = Subscribers(db, config)
    last = await subscribers.find(addresses[-1])
    assert last is not None

    async def leave_on_first_batch(recipients: Sequence[Recipient]) -> None:
        if addresses[-1] not in {r.email for r in recipients}:
            await subscribers.unsubscribe(last.id, "*", "web")

    campaign = await create_campaign(db, config, draft)
    provider = ControlledProvider(config, leave_on_first_batch)
    progress = await Sender(db, config, provider).start(campaign.id)

    assert addresses[-1] not in received(config, campaign.id)
    assert len(received(config, campaign.id)) == 29
    assert (progress.accepted, progress.skipped) == (29, 1)


async def test_pause_stops_after_the_batches_in_flight_and_resume_finishes_once(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    server, messenger = sendgrid
    addresses = await add_people(45)  # 15 batches
    campaign = await create_campaign(db, config, draft)

    pause = at_first_batch(lambda: pause_campaign(db, config, campaign.id))
    provider = ControlledProvider(config, pause, inner=messenger)
    progress = await Sender(db, config, provider).start(campaign.id)
    row = await db.fetch_one("campaign_get", {"id": campaign.id})
    assert row is not None and row["status"] == "paused"
    assert 0 < progress.accepted < 45 and progress.pending == 45 - progress.accepted
    assert not progress.in_doubt

    progress = await Sender(db, config, messenger).resume(campaign.id)
    assert sorted(server.recipients()) == sorted(addresses)  # each once
    assert progress.accepted == 45


async def test_cancel_stops_the_send_for_good(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    await add_people(30)
    campaign = await create_campaign(db, config, draft)

    cancel_once = at_first_batch(lambda: Campaigns(db, config).cancel(campaign.id))
    progress = await Sender(db, config, ControlledProvider(config, cancel_once)).start(campaign.id)
    assert progress.pending > 0
    with pytest.raises(CampaignError, match="annulée"):
        await Sender(db, config, make_messenger(config)).resume(campaign.id)
    assert len(received(config, campaign.id)) == progress.accepted


async def test_a_sending_process_keeps_every_other_one_out(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    server, messenger = sendgrid
    addresses = await add_people(12)
    campaign = await create_campaign(db, config, draft)
    refused: list[str] = []

    async def try_to_resume_elsewhere(recipients: Sequence[Recipient]) -> None:
        try:
            await Sender(db, config, messenger).resume(campaign.id)
        except CampaignError as exc:
            refused.append(str(exc))

    provider = ControlledProvider(config, try_to_resume_elsewhere, inner=messenger)
    await Sender(db, config, provider).start(campaign.id)
    assert refused and all("déjà en cours d'envoi" in reason for reason in refused)
    assert sorted(server.recipients()) == sorted(addresses)  # each once


async def test_a_dead_senders_campaign_resumes_without_its_batch_in_doubt(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    """The state a process killed mid-call leaves: one batch `submitting`, the rest pending."""
    server, messenger = sendgrid
    addresses = await add_people(12)
    campaign = await create_campaign(db, config, draft)
    owner = f"{socket.gethostname()}:{dead_pid()}:dead"

    class Crash(Exception):
        pass

    async def die(recipients: Sequence[Recipient]) -> None:
        raise Crash

    provider = ControlledProvider(config, die, inner=messenger)
    with pytest.raises(ExceptionGroup):
        await Sender(db, config, provider, owner=owner).start(campaign.id)
    # The crash of a real process releases nothing: put back what it would have left.
    await db.conn.execute(
        "UPDATE campaigns SET owner = ?, lease_until = '2999-01-01T00:00:00+00:00' WHERE id = ?",
        (owner, campaign.id),
    )
    in_doubt_rows = await db.conn.execute_fetchall(
        "SELECT l.email FROM send_log l JOIN send_batches b ON b.campaign_id = l.campaign_id "
        "AND b.seq = l.batch_seq WHERE b.status = 'submitting' AND l.campaign_id = ?",
        (campaign.id,),
    )
    in_doubt = {row[0] for row in in_doubt_rows}
    assert 0 < len(in_doubt) <= CONCURRENT_BATCHES * BATCH_SIZE

    progress = await Sender(db, config, messenger).resume(campaign.id)
    assert sorted(server.recipients()) == sorted(set(addresses) - in_doubt)
    assert progress.in_doubt_recipients == len(in_doubt)
    row = await db.fetch_one("campaign_get", {"id": campaign.id})
    assert row is not None and row["status"] == "sent"

    progress = await Sender(db, config, messenger).retry(campaign.id, in_doubt=True)
    assert sorted(server.recipients()) == sorted(addresses)  # each once
    assert not progress.in_doubt and progress.accepted == 12


async def test_a_lost_answer_leaves_its_batch_in_doubt_never_resent_unless_asked(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    sendgrid: tuple[SendgridServer, SendgridMessenger],
) -> None:
    server, messenger = sendgrid
    addresses = await add_people(12)
    campaign = await create_campaign(db, config, draft)
    server.drop()  # the first batch's connection drops once the request is written

    progress = await Sender(db, config, messenger).start(campaign.id)

    assert progress.accepted == 12 - BATCH_SIZE and progress.failed == 0
    (batch,) = progress.in_doubt  # the first request to arrive: batch 0 or 1, both in flight
    assert batch.seq < CONCURRENT_BATCHES and batch.recipients == BATCH_SIZE
    in_doubt = addresses[batch.seq * BATCH_SIZE : (batch.seq + 1) * BATCH_SIZE]
    assert batch.reason is not None and "peut-être été acceptée" in batch.reason
    assert (await get_campaign(db, campaign.id)).status == "sent"
    assert len(server.requests) == 12 // BATCH_SIZE + 1  # batches + batch id: no resend
    assert sorted(server.recipients()) == sorted(set(addresses) - set(in_doubt))

    progress = await Sender(db, config, messenger).retry(campaign.id, in_doubt=False)
    assert len(progress.in_doubt) == 1 and server.accepted_recipients == 12 - BATCH_SIZE

    progress = await Sender(db, config, messenger).retry(campaign.id, in_doubt=True)
    assert not progress.in_doubt and progress.accepted == 12
    assert sorted(server.recipients()) == sorted(addresses)  # each once


async def test_a_refused_batch_fails_alone_and_retry_sends_only_its_recipients(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    addresses = await add_people(12)
    campaign = await create_campaign(db, config, draft)
    provider = ControlledProvider(config, refuse={addresses[4]})
    progress = await Sender(db, config, provider).start(campaign.id)

    failed_batch = addresses[3:6]
    assert (progress.accepted, progress.failed) == (9, 3)
    rows = await db.fetch_all("send_log_failures", {"campaign_id": campaign.id})
    assert [r["email"] for r in rows] == failed_batch
    assert all("verified Sender Identity" in r["error"] for r in rows)
    assert set(received(config, campaign.id)) == set(addresses) - set(failed_batch)

    provider = ControlledProvider(config)
    progress = await Sender(db, config, provider).retry(campaign.id, in_doubt=False)
    assert provider.calls == [failed_batch]
    assert (progress.accepted, progress.failed) == (12, 0)
    assert set(received(config, campaign.id)) == set(addresses)


def test_an_owner_is_alive_while_its_lease_runs_and_its_process_lives() -> None:
    now = datetime.now(UTC)
    running, expired = now + timedelta(seconds=20), now - timedelta(seconds=1)
    host = socket.gethostname()
    ours = new_owner()
    alive_elsewhere = f"{host}:{os.getppid()}:abcd1234"  # a live process of this host
    assert owner_alive(ours, running, now)
    assert owner_alive(alive_elsewhere, running, now)
    assert owner_alive("autre-serveur:12:abcd1234", running, now)  # another host: its lease
    assert not owner_alive(None, running, now)
    for owner in (ours, alive_elsewhere, "autre-serveur:12:abcd1234"):
        assert not owner_alive(owner, expired, now)  # a lease not renewed: gone
        assert not owner_alive(owner, None, now)
    assert not owner_alive(f"{host}:{dead_pid()}:abcd1234", running, now)  # crashed
    # Our own pid under an owner this process never made: an earlier process that had it.
    assert not owner_alive(f"{host}:{os.getpid()}:abcd1234", running, now)


async def _left_sending_by(db: Database, campaign_id: int, owner: str) -> None:
    """What a process leaves when it dies mid-send: the campaign `sending`, its name on it."""
    await db.conn.execute(
        "UPDATE campaigns SET status = 'sending', owner = ?, lease_until = ? WHERE id = ?",
        (owner, "2999-01-01T00:00:00+00:00", campaign_id),
    )


async def test_an_earlier_process_with_our_pid_does_not_hold_the_campaign(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    addresses = await add_people(6)
    campaign = await create_campaign(db, config, draft)
    provider = ControlledProvider(
        config, at_first_batch(lambda: pause_campaign(db, config, campaign.id))
    )
    await Sender(db, config, provider).start(campaign.id)
    await _left_sending_by(db, campaign.id, f"{socket.gethostname()}:{os.getpid()}:avant")

    progress = await Sender(db, config, make_messenger(config)).resume(campaign.id)
    assert progress.accepted == 6 and set(received(config, campaign.id)) == set(addresses)


async def test_pause_frees_the_campaign_for_whoever_resumes_it(
    db: Database, config: Config, draft: Path, add_people: AddPeople
) -> None:
    addresses = await add_people(6)
    campaign = await create_campaign(db, config, draft)
    provider = ControlledProvider(
        config, at_first_batch(lambda: pause_campaign(db, config, campaign.id))
    )
    await Sender(db, config, provider).start(campaign.id)
    # Sending from a live process of this host (as far as the pid and lease say) …
    await _left_sending_by(db, campaign.id, f"{socket.gethostname()}:{os.getppid()}:vivant")
    with pytest.raises(CampaignError, match="déjà en cours d'envoi"):
        await Sender(db, config, make_messenger(config)).resume(campaign.id)

    paused = await pause_campaign(db, config, campaign.id)  # … which staff pause: it claims no more
    assert paused.status == "paused" and paused.owner is None and paused.lease_until is None
    progress = await Sender(db, config, make_messenger(config)).resume(campaign.id)
    assert progress.accepted == 6 and set(received(config, campaign.id)) == set(addresses)


async def test_a_failing_lease_renewal_is_logged_and_the_send_goes_on(
    db: Database,
    config: Config,
    draft: Path,
    add_people: AddPeople,
    caplog: pytest.LogCaptureFixture,
) -> None:
    addresses = await add_people(6)
    campaign = await create_campaign(db, config, draft)
    # A real database refusal of every renewal (and only of renewals).
    await db.conn.execute(
        "CREATE TRIGGER no_renewal BEFORE UPDATE OF lease_until ON campaigns "
        "WHEN OLD.status = 'sending' AND NEW.status = 'sending' AND NEW.owner = OLD.owner "
        "AND NEW.lease_until IS NOT NULL BEGIN SELECT RAISE(ABORT, 'disque plein'); END"
    )
    renewals_due = asyncio.Event()

    async def outlast_a_beat(recipients: Sequence[Recipient]) -> None:
        if not renewals_due.is_set():
            await asyncio.sleep(0.2)  # several beats of a 0.15 s lease
            renewals_due.set()

    provider = ControlledProvider(config, outlast_a_beat)
    with caplog.at_level(logging.ERROR, logger="hub.campaigns"):
        progress = await Sender(db, config, provider, lease_seconds=0.15).start(campaign.id)
    assert progress.accepted == 6 and set(received(config, campaign.id)) == set(addresses)
    assert "lease renewal failed" in [r.getMessage() for r in caplog.records]
    row = await db.fetch_one("campaign_get", {"id": campaign.id})
    assert row is not None and row["status"] == "sent" and row["owner"] is None
