"""The double opt-in: the link of the sign-up e-mail confirms the lists it names."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from hub.notices import confirm_ttl_seconds
from hub.tokens import ALL_LISTS
from hub.web.subscriptions.shared import (
    notice,
    open_link,
    preferences_link,
    services_of,
    web_consent,
)

routes = web.RouteTableDef()


@routes.get("/confirmer/{token}")
async def confirm(request: web.Request) -> web.Response:
    """Double opt-in. A GET that changes state, as every double opt-in link does: a mail
    scanner opening it first confirms what the person asked for, which is acceptable."""
    found = await open_link(request, "confirm")
    if isinstance(found, web.Response):
        return found
    subscriber, token = found
    services = services_of(request)
    config, subscribers = services.config, services.subscribers
    # The lists the link names (those still configured); a link of the former format, for
    # every list ("*"), confirms those pending when it was made.
    lists = [key for key in token.lists if key in config.lists] or ALL_LISTS
    made_at = None
    if token.expires_at is not None:
        made_at = datetime.fromtimestamp(token.expires_at - confirm_ttl_seconds(config), UTC)
    await subscribers.confirm(
        subscriber.id, lists, web_consent(config, request), requested_by=made_at
    )
    statuses = await subscribers.subscriptions(subscriber.id)
    confirmed = [item for key, item in config.lists.items() if statuses.get(key) == "confirmed"]
    links = [preferences_link(config, subscriber)]
    if not confirmed:
        return notice(
            request,
            title="Aucune inscription à confirmer",
            lead="Cette adresse n'a aucune inscription en attente de confirmation.",
            paragraphs=["Vous pouvez choisir vos lettres sur la page de vos préférences."],
            links=links,
        )
    return notice(
        request,
        title="Inscription confirmée",
        lead="Merci ! Vous recevrez désormais "
        + ("la lettre suivante :" if len(confirmed) == 1 else "les lettres suivantes :"),
        lists=confirmed,
        paragraphs=["Chaque e-mail contient un lien pour vous désinscrire en un clic."],
        links=links,
    )
