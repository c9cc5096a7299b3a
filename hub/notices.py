"""Transactional e-mails: the answer to a sign-up (confirm, already subscribed, reserved lists)
and the notice that someone has been unsubscribed.

They are rendered by the newsletters' own machinery (`render_mjml`, `compile_mjml`,
`render_text`) on `templates/mjml/base.mjml.j2`, for one recipient at a time, and sent through
the configured backend as category "transactionnel", without List-Unsubscribe: they are not
newsletters, and nobody subscribes to them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub.config import Config, MailingList
from hub.mail import BatchRejected, Content, Messenger, Recipient
from hub.subscribers.model import SignupAnswer  # the sign-up's decision, written here
from hub.timeutil import french_datetime
from hub.tokens import ALL_LISTS, TokenHolder, TokenSigner, joined_lists

log = logging.getLogger(__name__)

CATEGORY = "transactionnel"
ACCENT = "#1d4f91"  # the site's blue: white text on it reads at 8.6:1


class NoticeNotSent(Exception):
    """The backend did not take the message; the message says why, for the logs."""


def signed_path(
    config: Config,
    purpose: str,
    person: TokenHolder,
    list_key: str = ALL_LISTS,
    *,
    ttl_seconds: int | None = None,
) -> str:
    """The path of one of the subscription pages, signed for this stored person (pages of the
    site link to each other by path, e-mails by `signed_link`)."""
    return TokenSigner.for_config(config).path_for(
        purpose, person, list_key, ttl_seconds=ttl_seconds
    )


def signed_link(
    config: Config,
    purpose: str,
    person: TokenHolder,
    list_key: str = ALL_LISTS,
    *,
    ttl_seconds: int | None = None,
) -> str:
    """The absolute link of `signed_path`, as e-mails carry it."""
    path = signed_path(config, purpose, person, list_key, ttl_seconds=ttl_seconds)
    return f"{config.web.base_url.rstrip('/')}{path}"


def confirm_ttl_seconds(config: Config) -> int:
    return config.subscriptions.confirm_days * 86_400


def _lists(config: Config, keys: Sequence[str]) -> list[MailingList]:
    return [config.mailing_list(key) for key in keys]


def _content(config: Config, name: str, subject: str, context: dict[str, Any]) -> Content:
    # Imported when an e-mail is written: commands that write none skip the templates.
    from newsletters.templating import compile_mjml, render_mjml, render_text

    context = {"accent": ACCENT, "title": subject, "preheader": "", **context}
    return Content(
        subject=subject,
        html=compile_mjml(render_mjml(f"mjml/{name}.mjml.j2", context, config)),
        text=render_text(f"text/{name}.txt.j2", context, config),
        category=CATEGORY,
        list_unsubscribe=False,
    )


def signup_content(config: Config, answer: SignupAnswer, person: TokenHolder | None) -> Content:
    """The answer to a sign-up: a confirmation link when a list waits for one, a link to the
    preferences page when the person is known, and why members-only lists were refused."""
    confirm_url = preferences_url = expires = ""
    if answer.to_confirm and person is not None:
        ttl = confirm_ttl_seconds(config)
        expires = french_datetime(datetime.fromtimestamp(time.time() + ttl, UTC), config.tz)
        confirm_url = signed_link(
            config, "confirm", person, joined_lists(answer.to_confirm), ttl_seconds=ttl
        )
    if person is not None:
        preferences_url = signed_link(config, "preferences", person)
    subject = (
        "Confirmez votre inscription"
        if confirm_url
        else f"Votre demande d'inscription aux lettres de la {config.federation.short_name}"
    )
    context = {
        "to_confirm": _lists(config, answer.to_confirm) if confirm_url else [],
        "already": _lists(config, answer.already),
        "refused": _lists(config, answer.refused),
        "confirm_url": confirm_url,
        "expires": expires,
        "preferences_url": preferences_url,
        "preheader": "Un clic pour recevoir nos lettres d'information" if confirm_url else "",
    }
    return _content(config, "confirm", subject, context)


def unsubscribed_content(config: Config, lists: Sequence[str], person: TokenHolder) -> Content:
    """The notice sent after an unsubscription, with the way back (the preferences page)."""
    context = {
        "lists": _lists(config, lists),
        "preferences_url": signed_link(config, "preferences", person),
    }
    return _content(config, "unsubscribed", "Vous êtes désinscrit(e)", context)


async def send(messenger: Messenger, content: Content, email: str, first_name: str) -> None:
    """Hand one message to the backend; `NoticeNotSent` when it is not accepted."""
    recipient = Recipient(email=email, first_name=first_name)
    try:
        (outcome,) = await messenger.send(content, [recipient])
    except BatchRejected as exc:
        raise NoticeNotSent(str(exc)) from exc
    if not outcome.accepted:
        raise NoticeNotSent(outcome.error or "refused")
    log.info("notice sent", extra={"subject": content.subject, "message_id": outcome.message_id})


async def send_signup(
    config: Config,
    messenger: Messenger,
    *,
    email: str,
    answer: SignupAnswer,
    person: TokenHolder | None,
) -> None:
    """The double opt-in e-mail. It greets without a name, in the text and in `To:`: whoever
    typed the address also typed the name, and nobody has verified either yet."""
    await send(messenger, signup_content(config, answer, person), email, "")


async def send_unsubscribed(
    config: Config,
    messenger: Messenger,
    *,
    email: str,
    first_name: str,
    lists: Sequence[str],
    person: TokenHolder,
) -> None:
    await send(messenger, unsubscribed_content(config, lists, person), email, first_name)
