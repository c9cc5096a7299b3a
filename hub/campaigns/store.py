"""Reading campaigns and their audience: what every action checks first, the sender included
(inside its own transactions, so it lives apart from the service that uses the sender)."""

from __future__ import annotations

from hub.campaigns.errors import CampaignNotFound, EmptyAudienceError
from hub.campaigns.model import Campaign
from hub.config import Config
from hub.db import Database


async def get_campaign(db: Database, campaign_id: int) -> Campaign:
    """The campaign; `CampaignNotFound` if there is none by that number."""
    row = await db.fetch_one("campaign_get", {"id": campaign_id})
    if row is None:
        raise CampaignNotFound(campaign_id)
    return Campaign.from_row(row)


async def list_campaigns(db: Database, limit: int = 50) -> list[Campaign]:
    return [Campaign.from_row(r) for r in await db.fetch_all("campaign_list", {"limit": limit})]


async def audience_size(db: Database, list_key: str) -> int:
    row = await db.fetch_one("campaign_audience_size", {"list": list_key})
    return int(row["n"]) if row else 0


async def require_audience(db: Database, config: Config, campaign: Campaign) -> int:
    """The number of people the campaign would reach now; `EmptyAudienceError` if nobody."""
    size = await audience_size(db, campaign.list)
    if size == 0:
        name = config.lists[campaign.list].name if campaign.list in config.lists else ""
        raise EmptyAudienceError(campaign.id, campaign.list, name, campaign.issue_number)
    return size
