"""Each subscriber's preferences page, reached by the signed link of every e-mail: which
lists they receive, chosen and saved at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from hub.subscribers.labels import NOT_SUBSCRIBED, STATUS_LABELS, label
from hub.subscribers.service import ACTIVE, Person, Subscriber
from hub.tokens import ALL_LISTS
from hub.web.pages import render_page
from hub.web.subscriptions.shared import notify_unsubscribed, open_link, services_of, web_consent

routes = web.RouteTableDef()


async def _preferences_page(
    request: web.Request,
    subscriber: Subscriber,
    *,
    saved: str = "",
    problems: Sequence[str] = (),
) -> web.Response:
    services = services_of(request)
    config, subscribers = services.config, services.subscribers
    statuses = await subscribers.subscriptions(subscriber.id)
    choices = []
    for key, item in config.lists.items():
        status = statuses.get(key)
        active = status in ACTIVE
        # Reserved lists stay open to members; anyone may still leave one they are on.
        disabled = item.members_only and not subscriber.member and not active
        status_label = NOT_SUBSCRIBED if status is None else label(STATUS_LABELS, status)
        choices.append((key, item, status_label, active, disabled))
    if await subscribers.is_suppressed(subscriber.email):
        problems = [
            *problems,
            "Nos envois à cette adresse sont arrêtés (adresse en erreur, signalement comme "
            f"indésirable ou demande de suppression). Pour les reprendre, écrivez à "
            f"{config.federation.contact_email}.",
        ]
    return render_page(
        request,
        "preferences.html",
        subscriber=subscriber,
        choices=choices,
        saved=saved,
        problems=problems,
        action=request.path,
        consent_text=config.subscriptions.consent_text,
        disabled_reserved=any(choice[4] for choice in choices),
    )


@routes.get("/preferences/{token}")
async def preferences(request: web.Request) -> web.Response:
    found = await open_link(request, "preferences")
    if isinstance(found, web.Response):
        return found
    return await _preferences_page(request, found[0])


@routes.post("/preferences/{token}")
async def save_preferences(request: web.Request) -> web.Response:
    """Checked lists are subscribed and confirmed at once (the link came from the person's own
    mailbox), unchecked ones left; "tout" leaves every list."""
    found = await open_link(request, "preferences")
    if isinstance(found, web.Response):
        return found
    subscriber = found[0]
    services = services_of(request)
    config, subscribers = services.config, services.subscribers
    form = await request.post()
    statuses = await subscribers.subscriptions(subscriber.id)
    active = {key for key, status in statuses.items() if status in ACTIVE}
    if form.get("action") == "tout":
        left = await subscribers.unsubscribe(subscriber.id, ALL_LISTS, "web", request.remote)
        await notify_unsubscribed(request, subscribers, subscriber, left)
        return await _preferences_page(
            request, subscriber, saved="Vous êtes désinscrit(e) de toutes les lettres."
        )
    chosen = [key for key in config.lists if key in form.getall("listes", [])]
    problems = []
    to_join = [key for key in chosen if statuses.get(key) != "confirmed"]
    if to_join:
        outcomes = await subscribers.subscribe(
            Person(email=subscriber.email),
            to_join,
            web_consent(config, request),
            confirmed=True,
            allow_resubscribe=True,
        )
        if any(o.status == "suppressed" for o in outcomes):
            problems.append("Les lettres cochées n'ont pas pu être ajoutées.")
    left = []
    for key in sorted(active - set(chosen)):
        left += await subscribers.unsubscribe(subscriber.id, key, "web", request.remote)
    await notify_unsubscribed(request, subscribers, subscriber, left)
    return await _preferences_page(
        request, subscriber, saved="Vos choix sont enregistrés.", problems=problems
    )
