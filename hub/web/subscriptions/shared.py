"""What the subscription pages share: the services, the consent a web form records, their
notices, and the opening of a signed link (or the page that refuses it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

from hub import notices
from hub.config import Config, MailingList
from hub.notices import NoticeNotSent
from hub.services import HubServices
from hub.subscribers.service import Consent, Subscriber, Subscribers
from hub.tokens import ALL_LISTS, InvalidToken, Token, TokenExpired
from hub.web import SERVICES_KEY
from hub.web.notice import invalid_link_page, notice_page
from hub.web.tasks import BACKGROUND_TASKS

log = logging.getLogger("hub.web.subscriptions")


PREFERENCES_LABEL = "Choisir les lettres que je reçois"


def services_of(request: web.Request) -> HubServices:
    """The process's services: every rule the pages apply is theirs."""
    return request.app[SERVICES_KEY]


def web_consent(config: Config, request: web.Request) -> Consent:
    return Consent(
        source="web",
        text=config.subscriptions.consent_text,
        version=config.subscriptions.consent_version,
        ip=request.remote,
    )


def notice(
    request: web.Request,
    *,
    title: str,
    lead: str,
    status: int = 200,
    lists: Sequence[MailingList] = (),
    paragraphs: Sequence[str] = (),
    links: Sequence[tuple[str, str]] = (),
) -> web.Response:
    return notice_page(
        request,
        "subscription_layout.html",
        title=title,
        lead=lead,
        status=status,
        paragraphs=paragraphs,
        links=links,
        lists=lists,
    )


def invalid_link(request: web.Request) -> web.Response:
    return invalid_link_page(
        request,
        "subscription_layout.html",
        advice="Ouvrez-le de nouveau depuis l'e-mail reçu, en entier, ou refaites votre demande.",
        way_back=("/abonnement", "S'abonner aux newsletters"),
    )


def preferences_link(config: Config, subscriber: Subscriber) -> tuple[str, str]:
    """The way back every page after a change offers: the person's preferences."""
    return notices.signed_path(config, "preferences", subscriber), PREFERENCES_LABEL


async def open_link(request: web.Request, purpose: str) -> tuple[Subscriber, Token] | web.Response:
    """The subscriber and token a signed link names, or the page that refuses it. A token
    naming no list the configuration still has is refused too."""
    services = services_of(request)
    config = services.config
    try:
        subscriber, token = await services.subscribers.by_token(
            request.match_info["token"], purpose
        )
    except InvalidToken as exc:
        log.info("signed link refused", extra={"purpose": purpose, "problem": str(exc)})
        if isinstance(exc, TokenExpired):
            return notice(
                request,
                status=410,
                title="Lien expiré",
                lead="Ce lien de confirmation a expiré : votre inscription n'a pas été confirmée.",
                paragraphs=["Refaites votre demande : un nouveau lien vous sera envoyé."],
                links=[("/abonnement", "S'abonner aux newsletters")],
            )
        return invalid_link(request)
    if token.list != ALL_LISTS and not any(key in config.lists for key in token.lists):
        return invalid_link(request)
    return subscriber, token


async def notify_unsubscribed(
    request: web.Request, subscribers: Subscribers, subscriber: Subscriber, lists: Sequence[str]
) -> None:
    """Tell the person, so a forwarded e-mail's link used by someone else can be undone; not
    a suppressed address. Sent after the answer, by the application's `BackgroundTasks`: a
    relay's delay must not hold a one-click unsubscription. A failure is logged, the
    unsubscription stands."""
    if not lists or await subscribers.is_suppressed(subscriber.email):
        return
    services = services_of(request)
    config = services.config

    async def send() -> None:
        try:
            await notices.send_unsubscribed(
                config,
                services.messenger,
                email=subscriber.email,
                first_name=subscriber.first_name,
                lists=lists,
                person=subscriber,
            )
        except NoticeNotSent as exc:
            log.error("unsubscription e-mail not sent", extra={"problem": str(exc)})
        except Exception:
            log.exception("unsubscription e-mail failed")

    request.app[BACKGROUND_TASKS].start(send(), name=f"unsubscribed-notice-{subscriber.id}")
