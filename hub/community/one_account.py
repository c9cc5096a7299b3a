"""One Discord account is one person in every server of the federation where the hub's bots
run: identifying in one server (by code, or validated by staff) is identifying in the others.

A Discord user id is the same in every server, so a member who identified in the salariés'
server and is also in the élus' one expects the roles their record carries there too, without
typing a second code. `recognise` is asked by a server's bot when it sees such an account (a
sibling bot just linked it, or the member joined): it links the account there to the person of
its newest link elsewhere, and returns the roles the bot has still to give there. Taking roles
back needs nothing more: every link of the person is checked when their membership changes
(see role_sync.py), so links made here are covered.
"""

from __future__ import annotations

import json

from hub.community.identity import DiscordLink, Identification, Linked, _link, roles_for
from hub.timeutil import to_utc_text

SPREAD_BY = "discord:{server}"  # `linked_by` of a link made from another server's


async def links_of_account(
    identification: Identification, discord_user_id: int
) -> list[DiscordLink]:
    """The account's links in every server, newest first."""
    rows = await identification.db.fetch_all(
        "discord_links_of_account", {"discord_user_id": discord_user_id}
    )
    return [_link(row) for row in rows]


async def recognise(
    identification: Identification, discord_user_id: int, *, server: str
) -> Linked | None:
    """The account seen in `server`: None if it is linked nowhere; else its link there (made,
    or moved to the person of a newer link elsewhere) with the roles the record carries that
    the bot has not given there yet (empty: nothing to give)."""
    links = await links_of_account(identification, discord_user_id)
    if not links:
        return None
    newest = links[0]
    here = next((link for link in links if link.server == server), None)
    db = identification.db
    if here is None or here.subscriber_id != newest.subscriber_id:
        given = here.roles if here else ()
        async with db.transaction():
            await db.execute(
                "discord_link_upsert",
                {
                    "server": server,
                    "discord_user_id": discord_user_id,
                    "subscriber_id": newest.subscriber_id,
                    "roles": json.dumps(list(given)),
                    "now": to_utc_text(identification.clock()),
                    "linked_by": SPREAD_BY.format(server=newest.server),
                },
            )
            if given:  # roles the former person's record gave: the role sync compares
                await db.execute(
                    "discord_role_check_put",
                    {"server": server, "subscriber_id": newest.subscriber_id},
                )
        here_roles = given
    else:
        here_roles = here.roles
    person = await identification.people.get(newest.subscriber_id)
    assert person is not None  # a link goes with its person (ON DELETE CASCADE)
    due = tuple(role for role in roles_for(person) if role not in here_roles)
    return Linked(person, due)
