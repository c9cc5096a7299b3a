"""Fixtures for the Discord channel: the loopback stand-in Discord, checked at teardown."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bots.endpoints import apply_endpoints
from tests.support.discord import DiscordServer


@pytest.fixture
async def discord_server() -> AsyncIterator[DiscordServer]:
    """A stand-in Discord the bots are pointed at (both endpoint variables); the test fails if
    a bot used a route Discord lacks or sent a body Discord's contract refuses."""
    async with DiscordServer() as server:
        apply_endpoints(server.env)
        yield server
        apply_endpoints({})
    assert server.problems == []
