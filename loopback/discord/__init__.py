"""A loopback stand-in for Discord (REST API v10 and the gateway) that the real discord.py
client talks to, so that no test ever reaches Discord. See server.py for its use, payloads.py
for the interactions a test plays, contract.py for the OpenAPI checks."""

from loopback.discord.server import DEFAULT_TOKEN, DiscordServer

__all__ = ["DEFAULT_TOKEN", "DiscordServer"]
