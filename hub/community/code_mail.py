"""The e-mail that carries a Discord verification code: French, MJML like every mail of the hub,
transactional (no List-Unsubscribe: nobody subscribes to it)."""

from __future__ import annotations

import asyncio

from hub.config import Config
from hub.mail import BatchRejected, Content, Messenger, Recipient
from hub.notices import ACCENT, CATEGORY
from newsletters.templating import compile_mjml, render_mjml, render_text


class CodeNotSent(Exception):
    """The mail backend did not take the code's message (the text says why, for the logs)."""


def code_content(config: Config, code: str, server_name: str, minutes: int) -> Content:
    subject = f"Votre code d'identification Discord : {code}"
    context = {
        "accent": ACCENT,
        "title": "Votre code d'identification",
        "preheader": f"Valable {minutes} minutes",
        "code": code,
        "minutes": minutes,
        "server": server_name,
    }
    return Content(
        subject=subject,
        html=compile_mjml(render_mjml("mjml/discord_code.mjml.j2", context, config)),
        text=render_text("text/discord_code.txt.j2", context, config),
        category=CATEGORY,
        list_unsubscribe=False,
    )


async def send_code(
    config: Config, messenger: Messenger, email: str, code: str, server_name: str, minutes: int
) -> None:
    """Render (in a thread: MJML takes tens of ms, the bots share the loop) and send."""
    content = await asyncio.to_thread(code_content, config, code, server_name, minutes)
    try:
        (outcome,) = await messenger.send(content, [Recipient(email=email, first_name="")])
    except BatchRejected as exc:
        raise CodeNotSent(str(exc)) from exc
    if not outcome.accepted:
        raise CodeNotSent(outcome.error or "refused")
