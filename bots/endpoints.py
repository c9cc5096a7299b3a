"""Where the bots find Discord: the real one, or another (the tests' stand-in, staging).

discord.py has no per-client setting for its endpoints; it reads two class attributes when it
builds a request or opens the gateway:

- `discord.http.Route.BASE`, the REST root (every route, webhooks and interaction callbacks
  included, is `BASE + path`);
- `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`, the websocket a `discord.Client` opens
  first (and again after an INVALID_SESSION). Resumes go to the READY event's
  `resume_gateway_url`, which a stand-in therefore sets to itself; an `AutoShardedClient` asks
  `GET /gateway/bot` instead, which goes through `BASE`.

They are process-wide, so both bots of the hub's one process share the endpoints, and
`apply_endpoints` always sets both (back to Discord's when unset), so one test pointing at a
stand-in cannot leak into the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import discord.gateway
import discord.http
import yarl

API_ENV = "HUB_DISCORD_API_URL"
GATEWAY_ENV = "HUB_DISCORD_GATEWAY_URL"
DISCORD_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


class EndpointError(ValueError):
    """A Discord endpoint in the environment is not a usable URL (the message is French)."""


@dataclass(frozen=True)
class Endpoints:
    api: str
    gateway: str


def _checked(env: Mapping[str, str], name: str, schemes: tuple[str, str], default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        url = yarl.URL(raw)
    except ValueError:
        url = None
    if url is None or url.scheme not in schemes or not url.host:
        raise EndpointError(
            f"{name} doit être une adresse {schemes[0]}:// ou {schemes[1]}:// "
            f"avec un hôte (reçu : « {raw} »)."
        )
    if url.query_string or url.fragment:
        raise EndpointError(
            f"{name} ne doit contenir ni paramètres ni fragment (reçu : « {raw} »)."
        )
    return raw


def read_endpoints(env: Mapping[str, str]) -> Endpoints:
    """The endpoints the environment asks for, Discord's own when a variable is unset or empty."""
    api = _checked(env, API_ENV, ("http", "https"), DISCORD_API).rstrip("/")
    gateway = _checked(env, GATEWAY_ENV, ("ws", "wss"), DISCORD_GATEWAY)
    return Endpoints(api=api, gateway=gateway)


def apply_endpoints(env: Mapping[str, str]) -> Endpoints:
    """Point discord.py at the endpoints of `env` (see the module docstring); call it before
    `Client.login`. Raises EndpointError, leaving discord.py untouched, on a bad URL."""
    endpoints = read_endpoints(env)
    discord.http.Route.BASE = endpoints.api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(endpoints.gateway)
    return endpoints
