"""The GDPR right of access (art. 15) as JSON-able data: everything the subscribers' tables
hold about one person, for `hub subscribers show --json`.

`hub.privacy.Privacy.show` gives the same as typed records, for every channel.
"""

from __future__ import annotations

import json
from typing import Any

from hub.db import Database
from hub.subscribers.model import rows_as_dicts
from hub.subscribers.suppression import SuppressionList


async def person_data(
    db: Database, suppressions: SuppressionList, email: str
) -> dict[str, Any] | None:
    """Everything held about the person under a normalised address; None if unknown."""
    row = await db.fetch_one("subscriber_by_email", {"email": email})
    if row is None:
        return None
    person = dict(row)
    person["member"] = bool(person["member"])
    del person["token_nonce"]  # a technical part of the links, nothing about the person
    params = {"id": row["id"]}

    async def rows(query: str) -> list[dict[str, Any]]:
        return rows_as_dicts(await db.fetch_all(query, params))

    suppression = await suppressions.row(email)
    return {
        "person": person,
        "subscriptions": await rows("subscription_of"),
        "consents": await rows("subscriber_consents"),
        "membership_changes": [
            {**change, "member": bool(change["member"])}
            for change in await rows("subscriber_membership_changes")
        ],
        "sends": await rows("subscriber_sends"),
        "delivery_events": await rows("subscriber_delivery_events"),
        "registrations": [
            {**registration, "answers": json.loads(registration["answers"])}
            for registration in await rows("subscriber_registrations")
        ],
        "discord_questions": await rows("discord_questions_of_person"),
        "suppressed": suppression is not None,
        "suppression": suppression,
    }
