"""Discord's 503 retried with backoff, for every REST call of a bot.

discord.py honours 429 (its `retry_after`) and retries 500, 502, 504 and 524 itself, but a 503
(« Service Unavailable », which Discord answers when a backend is overloaded) is raised at once:
a post in #agenda, a DM, a role given would be lost, or depend on each caller trying again. So
each bot's own HTTP client tries a 503 again, with a doubling pause, before giving up — the
same policy as discord.py's for the other 5xx (a 503 means the request was not processed).
Only the hub's bots are wrapped: discord.py's class is untouched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord.http import HTTPClient, Route

log = logging.getLogger("bots")

RETRIES = 3  # after the first try: 4 tries in all, as discord.py's 5 for the other 5xx
UNAVAILABLE = 503


def retry_unavailable(http: HTTPClient, first_pause: Callable[[], float], server: str) -> None:
    """Wrap `http.request` so that a 503 is tried again (pauses: first, ×2, ×4)."""
    request: Callable[..., Awaitable[Any]] = http.request

    async def request_retrying(route: Route, **kwargs: Any) -> Any:
        pause = first_pause()
        for _ in range(RETRIES):
            try:
                return await request(route, **kwargs)
            except discord.DiscordServerError as exc:
                if exc.status != UNAVAILABLE:
                    raise  # discord.py already tried the other 5xx again
                log.warning(
                    "discord answered 503: trying again",
                    extra={"server": server, "route": route.path, "pause": pause},
                )
            await asyncio.sleep(pause)
            pause *= 2
        return await request(route, **kwargs)

    http.request = request_retrying  # type: ignore[method-assign]
