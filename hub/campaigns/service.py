"""Campaigns: create one from a draft, schedule, pause, cancel, test, send, and read its figures.

`Campaigns` is what every channel calls (the command line today, the bots next): each rule
lives here once, each refusal is a typed `CampaignError` whose message names no command, and
each result is a dataclass. Sending itself is `hub.campaigns.sender`; `hub run`'s background
sends are `hub.campaigns.runner`.

The mail backend comes from a provider called only when something is sent, so an action that
sends nothing never builds one (nor imports SendGrid, nor needs its key). The provider's owner
closes the backend.

`create_campaign` and `schedule_campaign` remain as one-line functions over `Campaigns` for the
callers that have a database and a config but no service (the tests, the demo, the benchmarks);
`get_campaign`, `list_campaigns`, `audience_size` and `require_audience` are re-exported from
`hub.campaigns.store`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.campaigns.errors import (
    Action,
    CampaignAlreadySent,
    CampaignError,
    CampaignWrongStatus,
    EmptyAudienceError,
    ScheduledInThePast,
    TrialSendFailed,
)
from hub.campaigns.model import Campaign, CampaignStatus, Progress
from hub.campaigns.progress import ProgressCallback, read_progress
from hub.campaigns.runner import CampaignRunner, campaigns_worker
from hub.campaigns.sender import Sender
from hub.campaigns.store import audience_size, get_campaign, list_campaigns, require_audience
from hub.config import Config
from hub.db import Database
from hub.mail import BatchInDoubt, BatchRejected, Content, Messenger, Outcome, Recipient
from hub.timeutil import from_utc_text, to_utc_text, utcnow
from newsletters.draft import load_draft
from newsletters.pipeline import publish_draft

__all__ = [
    "TEST_PREFIX",
    "CampaignError",
    "CampaignStats",
    "Campaigns",
    "EmptyAudienceError",
    "SendFailure",
    "audience_size",
    "create_campaign",
    "get_campaign",
    "list_campaigns",
    "require_audience",
    "schedule_campaign",
]

TEST_PREFIX = "[TEST] "

MessengerProvider = Callable[[], Messenger]


@dataclass(frozen=True)
class CampaignStats:
    """A campaign's figures: the send log's counts, then what the provider reported since
    (each recipient counted once per kind of event)."""

    audience: int
    accepted: int
    failed: int
    skipped: int
    delivered: int
    unique_opens: int
    unique_clicks: int
    bounces: int
    spam_reports: int
    unsubscriptions: int  # people the campaign reached who left its list since it started

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class SendFailure:
    """A recipient the provider refused, and why."""

    send_log_id: int
    email: str | None  # None: the person has been erased since
    error: str | None
    at: datetime  # when the refusal was recorded, in UTC
    batch_seq: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.send_log_id,
            "email": self.email,
            "error": self.error,
            "updated_at": to_utc_text(self.at),
            "batch_seq": self.batch_seq,
        }


def _no_messenger() -> Messenger:
    raise RuntimeError("this Campaigns service was built without a messenger provider")


class Campaigns:
    """The campaigns of one hub database, sent through the messenger `messenger()` gives."""

    def __init__(
        self, db: Database, config: Config, messenger: MessengerProvider = _no_messenger
    ) -> None:
        self.db = db
        self.config = config
        self._messenger = messenger

    async def get(self, campaign_id: int) -> Campaign:
        """The campaign; `CampaignNotFound` if there is none by that number."""
        return await get_campaign(self.db, campaign_id)

    async def latest(self, limit: int = 50) -> list[Campaign]:
        """The most recent campaigns first."""
        return await list_campaigns(self.db, limit)

    async def audience_size(self, list_key: str) -> int:
        """How many confirmed subscribers a campaign to `list_key` would reach now."""
        return await audience_size(self.db, list_key)

    async def require_audience(self, campaign: Campaign) -> int:
        """The number of people the campaign would reach now; `EmptyAudienceError` if nobody."""
        return await require_audience(self.db, self.config, campaign)

    async def create(self, draft: Path, list_key: str | None = None) -> Campaign:
        """Render the draft once (and archive it, so its web version exists) and keep the result.

        An issue a campaign has already sent (or is sending) is not rendered again: what people
        received and what the archive shows must stay the same (`CampaignAlreadySent`).
        """
        issue = load_draft(draft, self.config)
        edition = self.config.edition(issue.edition)
        list_key = list_key or edition.list
        self.config.mailing_list(list_key)
        sent = await self.db.fetch_one(
            "campaign_issue_sent", {"edition": issue.edition, "issue_number": issue.number}
        )
        if sent is not None:
            raise CampaignAlreadySent(
                edition_name=edition.name,
                issue_number=issue.number,
                sent_by=sent["id"],
                sent_by_status=sent["status"],
            )
        published = await publish_draft(self.db, self.config, draft, replace=True)
        html, text = (path.read_text(encoding="utf-8") for path in published.files[:2])
        campaign_id = await self.db.execute(
            "campaign_insert",
            {
                "edition": issue.edition,
                "issue_number": issue.number,
                "list": list_key,
                "subject": issue.subject,
                "preheader": issue.preheader,
                "html": html,
                "text": text,
                "now": utcnow(),
            },
        )
        return await get_campaign(self.db, campaign_id)

    async def schedule(self, campaign_id: int, at: datetime) -> Campaign:
        """Have `hub run` start the campaign at `at` (`ScheduledInThePast` if it has passed)."""
        if at <= datetime.now(UTC):
            raise ScheduledInThePast(at.astimezone(self.config.tz))
        async with self.db.transaction():  # a send starting meanwhile must not be turned back
            campaign = await get_campaign(self.db, campaign_id)
            if campaign.status not in ("draft", "scheduled"):
                raise CampaignWrongStatus(
                    campaign_id, campaign.status, ("draft", "scheduled"), "schedule"
                )
            await self.db.execute(
                "campaign_schedule",
                {"id": campaign_id, "scheduled_at": to_utc_text(at), "now": utcnow()},
            )
        return await get_campaign(self.db, campaign_id)

    async def pause(self, campaign_id: int) -> Campaign:
        """The sending process stops after the batches it has in flight."""
        return await self._move(campaign_id, "paused", ("sending",), "pause")

    async def cancel(self, campaign_id: int) -> Campaign:
        """Nothing more leaves; what has left stays recorded."""
        return await self._move(
            campaign_id, "cancelled", ("draft", "scheduled", "paused", "sending"), "cancel"
        )

    async def _move(
        self,
        campaign_id: int,
        target: CampaignStatus,
        allowed: tuple[CampaignStatus, ...],
        action: Action,
    ) -> Campaign:
        async with self.db.transaction():
            campaign = await get_campaign(self.db, campaign_id)
            if campaign.status not in allowed:
                raise CampaignWrongStatus(campaign_id, campaign.status, allowed, action)
            await self.db.execute(
                "campaign_set_status", {"id": campaign_id, "status": target, "now": utcnow()}
            )
        return await get_campaign(self.db, campaign_id)

    async def stats(self, campaign_id: int) -> CampaignStats:
        campaign = await get_campaign(self.db, campaign_id)
        row = await self.db.fetch_one(
            "campaign_stats",
            {
                "id": campaign_id,
                "list": campaign.list,
                "started_at": to_utc_text(campaign.started_at or campaign.created_at),
            },
        )
        assert row is not None
        return CampaignStats(**{f.name: int(row[f.name]) for f in fields(CampaignStats)})

    async def failures(self, campaign_id: int) -> list[SendFailure]:
        """Each recipient the provider refused, in the order they were sent."""
        await get_campaign(self.db, campaign_id)
        rows = await self.db.fetch_all("send_log_failures", {"campaign_id": campaign_id})
        return [
            SendFailure(
                send_log_id=r["id"],
                email=r["email"],
                error=r["error"],
                at=_utc(r["updated_at"]),
                batch_seq=r["batch_seq"],
            )
            for r in rows
        ]

    async def progress(self, campaign_id: int) -> Progress:
        """Where the campaign's send stands, from its send log."""
        return await read_progress(self.db, campaign_id)

    async def send_test(self, campaign_id: int, emails: list[str]) -> list[Outcome]:
        """Send the campaign as it stands to a few addresses, subject marked, counted nowhere.

        No List-Unsubscribe headers: the staff's addresses are on no list, and a mailbox's
        "unsubscribe" button must not post to a page that cannot unsubscribe them. The links in
        the body lead to the sign-up page."""
        row = await self.db.fetch_one("campaign_content", {"id": campaign_id})
        if row is None:
            await get_campaign(self.db, campaign_id)  # raises CampaignNotFound
        assert row is not None
        content = Content(
            subject=TEST_PREFIX + row["subject"],
            html=row["html"],
            text=row["text"],
            category=row["edition"],
            campaign_id=campaign_id,
            list_unsubscribe=False,
        )
        signup = f"{self.config.web.base_url.rstrip('/')}/abonnement"
        recipients = [
            Recipient(email, unsubscribe_url=signup, preferences_url=signup) for email in emails
        ]
        try:
            return await self._messenger().send(content, recipients)
        except BatchInDoubt as exc:
            raise TrialSendFailed(str(exc), in_doubt=True) from None
        except BatchRejected as exc:
            raise TrialSendFailed(str(exc), in_doubt=False) from None

    def sender(self, *, on_progress: ProgressCallback | None = None) -> Sender:
        """A sender for this process: `start`, `resume` or `retry` a campaign in the
        foreground (`on_progress` is told where it stands a few times a second)."""
        return Sender(self.db, self.config, self._messenger(), on_progress=on_progress)

    def worker(self) -> AbstractAsyncContextManager[CampaignRunner]:
        """`hub run`'s campaign loop (scheduled sends start, orphaned ones resume) for as
        long as the `async with` block runs."""
        return campaigns_worker(self.db, self.config, self._messenger())


def _utc(text: str) -> datetime:
    value = from_utc_text(text)
    assert value is not None  # a NOT NULL column
    return value


# For callers with a database and a config but no service (tests, the demo, the benchmarks).


async def create_campaign(
    db: Database, config: Config, draft: Path, list_key: str | None = None
) -> Campaign:
    return await Campaigns(db, config).create(draft, list_key)


async def schedule_campaign(
    db: Database, config: Config, campaign_id: int, at: datetime
) -> Campaign:
    return await Campaigns(db, config).schedule(campaign_id, at)
