"""`hub run` starts the bots with the web app, in one loop: a refused token stops its bot with
one French line while the other bot and the web keep serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import pytest

from hub.process import serve
from loopback.discord.community import ENVS, TOKENS
from tests.bots.conftest import Community
from tests.bots.test_identification import posts

WAIT = 15.0


async def test_hub_run_serves_the_web_and_the_good_bot_when_a_token_is_refused(
    community: Community, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in community.discord.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(ENVS["salaries"], "un-jeton-révoqué")
    monkeypatch.setenv(ENVS["elus"], TOKENS["elus"])
    stop, ready = asyncio.Event(), asyncio.Future[str]()
    with caplog.at_level(logging.INFO, logger="bots"):
        running = asyncio.create_task(
            serve(community.config, "127.0.0.1", 0, on_ready=ready.set_result, stop=stop)
        )
        try:
            url = await asyncio.wait_for(ready, WAIT)
            await community.discord.wait_until(lambda: posts(community, "elus", "accueil"), WAIT)
            async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as health:
                assert health.status == 200
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(running, WAIT)
    errors = [r.getMessage() for r in caplog.records if r.name == "bots" and r.levelno >= 40]
    assert errors == [
        "bot Discord « Collectif des salariés » : Discord refuse le jeton de "
        "DISCORD_TOKEN_SALARIES ; ce bot s'arrête, le reste du hub continue"
    ]
    assert posts(community, "salaries", "accueil") == []
