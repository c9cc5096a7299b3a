"""Campaigns: create one from a draft, schedule, pause, cancel, test, and read its figures.

Sending itself is `hub.campaigns.sender`; this module holds what staff do around it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.campaigns.model import STATUS_LABELS, Campaign, CampaignError
from hub.config import Config
from hub.db import Database
from hub.mail import BatchInDoubt, BatchRejected, Content, Messenger, Outcome, Recipient
from hub.timeutil import example_datetime, french_date, french_time, to_utc_text, utcnow
from newsletters.draft import load_draft
from newsletters.pipeline import publish_draft

TEST_PREFIX = "[TEST] "


async def get_campaign(db: Database, campaign_id: int) -> Campaign:
    row = await db.fetch_one("campaign_get", {"id": campaign_id})
    if row is None:
        raise CampaignError(
            f"aucune campagne n°{campaign_id} (« hub campaign list » les montre toutes)"
        )
    return Campaign.from_row(row)


async def list_campaigns(db: Database, limit: int = 50) -> list[Campaign]:
    return [Campaign.from_row(r) for r in await db.fetch_all("campaign_list", {"limit": limit})]


async def create_campaign(
    db: Database, config: Config, draft: Path, list_key: str | None = None
) -> Campaign:
    """Render the draft once (and archive it, so its web version exists) and keep the result.

    An issue a campaign has already sent (or is sending) is not rendered again: what people
    received and what the archive shows must stay the same.
    """
    issue = load_draft(draft, config)
    edition = config.edition(issue.edition)
    list_key = list_key or edition.list
    config.mailing_list(list_key)
    sent = await db.fetch_one(
        "campaign_issue_sent", {"edition": issue.edition, "issue_number": issue.number}
    )
    if sent is not None:
        raise CampaignError(
            f"le n°{issue.number} de « {edition.name} » a déjà été envoyé par la campagne "
            f"{sent['id']} ({STATUS_LABELS[sent['status']]}) : créez un nouveau numéro"
        )
    published = await publish_draft(db, config, draft, replace=True)
    html, text = (path.read_text(encoding="utf-8") for path in published.files[:2])
    now = utcnow()
    campaign_id = await db.execute(
        "campaign_insert",
        {
            "edition": issue.edition,
            "issue_number": issue.number,
            "list": list_key,
            "subject": issue.subject,
            "preheader": issue.preheader,
            "html": html,
            "text": text,
            "now": now,
        },
    )
    return await get_campaign(db, campaign_id)


async def schedule_campaign(
    db: Database, config: Config, campaign_id: int, at: datetime
) -> Campaign:
    if at <= datetime.now(UTC):
        local = at.astimezone(config.tz)
        raise CampaignError(
            f"--at : {french_date(local.date())} à {french_time(local.time())} est déjà passé ; "
            "indiquez une date à venir, heure de Paris, par exemple "
            f'"{example_datetime(config.tz)}"'
        )
    async with db.transaction():  # a send starting meanwhile must not be turned back
        campaign = await get_campaign(db, campaign_id)
        if campaign.status not in ("draft", "scheduled"):
            raise CampaignError(
                f"la campagne {campaign_id} est {campaign.status_label} : seule une campagne en "
                "brouillon ou déjà programmée peut être (re)programmée"
            )
        await db.execute(
            "campaign_schedule",
            {"id": campaign_id, "scheduled_at": to_utc_text(at), "now": utcnow()},
        )
    return await get_campaign(db, campaign_id)


async def _move(
    db: Database, campaign_id: int, target: str, allowed: tuple[str, ...], verb: str
) -> Campaign:
    async with db.transaction():
        campaign = await get_campaign(db, campaign_id)
        if campaign.status not in allowed:
            raise CampaignError(
                f"impossible de {verb} la campagne {campaign_id} : elle est {campaign.status_label}"
            )
        await db.execute(
            "campaign_set_status", {"id": campaign_id, "status": target, "now": utcnow()}
        )
    return await get_campaign(db, campaign_id)


async def pause_campaign(db: Database, campaign_id: int) -> Campaign:
    """The sending process stops after the batches it has in flight."""
    return await _move(db, campaign_id, "paused", ("sending",), "mettre en pause")


async def cancel_campaign(db: Database, campaign_id: int) -> Campaign:
    """Nothing more leaves; what has left stays recorded."""
    return await _move(
        db, campaign_id, "cancelled", ("draft", "scheduled", "paused", "sending"), "annuler"
    )


async def audience_size(db: Database, list_key: str) -> int:
    row = await db.fetch_one("campaign_audience_size", {"list": list_key})
    return int(row["n"]) if row else 0


class EmptyAudienceError(CampaignError):
    """The campaign's list has no confirmed subscriber. Started, the campaign would reach
    nobody yet end `sent`, and its issue number with it: no other campaign could send it."""


async def require_audience(db: Database, config: Config, campaign: Campaign) -> int:
    """The number of people the campaign would reach now; `EmptyAudienceError` if nobody."""
    size = await audience_size(db, campaign.list)
    if size == 0:
        name = config.lists[campaign.list].name if campaign.list in config.lists else ""
        raise EmptyAudienceError(
            f"la campagne {campaign.id} ne part pas : sa liste « {campaign.list} »"
            f"{f' ({name})' if name else ''} n'a aucun abonné confirmé, elle ne toucherait "
            f"personne. Rien n'est envoyé et le n°{campaign.issue_number} n'est pas consommé : "
            "elle pourra partir quand la liste aura des abonnés confirmés"
        )
    return size


async def campaign_stats(db: Database, campaign_id: int) -> dict[str, Any]:
    campaign = await get_campaign(db, campaign_id)
    row = await db.fetch_one(
        "campaign_stats",
        {
            "id": campaign_id,
            "list": campaign.list,
            "started_at": to_utc_text(campaign.started_at or campaign.created_at),
        },
    )
    assert row is not None
    return dict(row)


async def campaign_failures(db: Database, campaign_id: int) -> list[dict[str, Any]]:
    await get_campaign(db, campaign_id)
    rows = await db.fetch_all("send_log_failures", {"campaign_id": campaign_id})
    return [dict(r) for r in rows]


async def send_test(
    db: Database, config: Config, messenger: Messenger, campaign_id: int, emails: list[str]
) -> list[Outcome]:
    """Send the campaign as it stands to a few addresses, subject marked, counted nowhere.

    No List-Unsubscribe headers: the staff's addresses are on no list, and a mailbox's
    "unsubscribe" button must not post to a page that cannot unsubscribe them. The links in
    the body lead to the sign-up page."""
    row = await db.fetch_one("campaign_content", {"id": campaign_id})
    if row is None:
        await get_campaign(db, campaign_id)  # raises the French "no such campaign"
    assert row is not None
    content = Content(
        subject=TEST_PREFIX + row["subject"],
        html=row["html"],
        text=row["text"],
        category=row["edition"],
        campaign_id=campaign_id,
        list_unsubscribe=False,
    )
    signup = f"{config.web.base_url.rstrip('/')}/abonnement"
    recipients = [
        Recipient(email, unsubscribe_url=signup, preferences_url=signup) for email in emails
    ]
    try:
        return await messenger.send(content, recipients)
    except BatchInDoubt as exc:
        raise CampaignError(
            f"envoi de test incertain : {exc} ; regardez la boîte de réception avant de refaire "
            "le test"
        ) from None
    except BatchRejected as exc:
        raise CampaignError(f"envoi de test refusé, rien n'est parti : {exc}") from None
