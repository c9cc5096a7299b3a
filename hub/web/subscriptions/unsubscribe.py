"""The unsubscription link of every newsletter (RFC 8058 one-click, and its page)."""

from __future__ import annotations

import logging

from aiohttp import web

from hub.config import Config, MailingList
from hub.subscribers.service import ACTIVE
from hub.tokens import ALL_LISTS
from hub.web.pages import render_page
from hub.web.subscriptions.shared import notice, notify_unsubscribed, open_link, services_of

log = logging.getLogger("hub.web.subscriptions")

routes = web.RouteTableDef()

# The way back the unsubscription pages give: not the preferences link itself (see `/u/`).
UNSUBSCRIBED_WAY_BACK = (
    "Vous pouvez revenir à tout moment : le lien « Gérer mes préférences » est en bas de chacune "
    "de nos lettres, et dans l'e-mail qui confirme votre désinscription."
)


def _lists_named(config: Config, list_key: str) -> list[MailingList]:
    return list(config.lists.values()) if list_key == ALL_LISTS else [config.lists[list_key]]


@routes.get("/u/{token}")
async def unsubscribe_page(request: web.Request) -> web.Response:
    """Shows what the button would do, and does nothing: mail scanners open every link. It
    does not lead to the preferences page: this link travels with every newsletter (forwarded,
    shared), and is worth one list's unsubscription, not the person's whole page."""
    found = await open_link(request, "unsubscribe")
    if isinstance(found, web.Response):
        return found
    subscriber, list_key = found[0], found[1].list
    services = services_of(request)
    config = services.config
    statuses = await services.subscribers.subscriptions(subscriber.id)
    keys = list(config.lists) if list_key == ALL_LISTS else [list_key]
    return render_page(
        request,
        "unsubscribe.html",
        lists=_lists_named(config, list_key),
        active=any(statuses.get(key) in ACTIVE for key in keys),
        action=request.path,
    )


@routes.post("/u/{token}")
async def unsubscribe(request: web.Request) -> web.Response:
    """RFC 8058 one-click (`List-Unsubscribe=One-Click` from a mail client) and the page's
    button alike: no login, no cookie, done at once, and again harmlessly."""
    found = await open_link(request, "unsubscribe")
    if isinstance(found, web.Response):
        return found
    subscriber, list_key = found[0], found[1].list
    services = services_of(request)
    config, subscribers = services.config, services.subscribers
    left = await subscribers.unsubscribe(subscriber.id, list_key, "web", request.remote)
    log.info("unsubscribed", extra={"lists": ",".join(left) or "-"})
    await notify_unsubscribed(request, subscribers, subscriber, left)
    lists = _lists_named(config, list_key)
    return notice(
        request,
        title="Vous êtes désinscrit(e)",
        lead="Vous ne recevrez plus "
        + ("la lettre suivante :" if len(lists) == 1 else "les lettres suivantes :"),
        lists=lists,
        paragraphs=[UNSUBSCRIBED_WAY_BACK],
        links=[("/", "Retour aux newsletters")],
    )
