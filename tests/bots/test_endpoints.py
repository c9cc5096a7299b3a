"""HUB_DISCORD_API_URL / HUB_DISCORD_GATEWAY_URL point discord.py at another Discord."""

from __future__ import annotations

from collections.abc import Iterator

import discord.gateway
import discord.http
import pytest
import yarl

from bots.endpoints import (
    DISCORD_API,
    DISCORD_GATEWAY,
    EndpointError,
    apply_endpoints,
    read_endpoints,
)

STAND_IN = {
    "HUB_DISCORD_API_URL": "http://127.0.0.1:8765/api/v10/",
    "HUB_DISCORD_GATEWAY_URL": "ws://127.0.0.1:8765/gateway",
}


@pytest.fixture(autouse=True)
def discord_restored() -> Iterator[None]:
    yield
    apply_endpoints({})


def test_the_variables_move_every_rest_route_and_the_gateway() -> None:
    apply_endpoints(STAND_IN)
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=7)
    assert route.url == "http://127.0.0.1:8765/api/v10/channels/7/messages"
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert gateway == yarl.URL("ws://127.0.0.1:8765/gateway")


def test_unset_or_empty_variables_mean_discord_itself_even_after_a_stand_in() -> None:
    apply_endpoints(STAND_IN)
    endpoints = apply_endpoints({"HUB_DISCORD_API_URL": "", "OTHER": "x"})
    assert (endpoints.api, endpoints.gateway) == (DISCORD_API, DISCORD_GATEWAY)
    assert discord.http.Route("GET", "/users/@me").url == "https://discord.com/api/v10/users/@me"
    assert yarl.URL(DISCORD_GATEWAY) == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HUB_DISCORD_API_URL", "ws://127.0.0.1:8765/api/v10"),
        ("HUB_DISCORD_API_URL", "127.0.0.1:8765/api/v10"),
        ("HUB_DISCORD_API_URL", "http:///api/v10"),
        ("HUB_DISCORD_GATEWAY_URL", "https://127.0.0.1:8765/gateway"),
        ("HUB_DISCORD_GATEWAY_URL", "ws://127.0.0.1:8765/gateway?v=9"),
    ],
)
def test_a_url_of_the_wrong_kind_is_refused_in_french_and_changes_nothing(
    name: str, value: str
) -> None:
    with pytest.raises(EndpointError) as refused:
        apply_endpoints({name: value})
    assert str(refused.value).startswith(f"{name} ne doit") or (
        str(refused.value).startswith(f"{name} doit être une adresse")
    )
    assert f"« {value} »" in str(refused.value)
    assert discord.http.Route.BASE == DISCORD_API


def test_a_secure_staging_discord_is_accepted() -> None:
    endpoints = read_endpoints(
        {
            "HUB_DISCORD_API_URL": "https://staging.example/api/v10",
            "HUB_DISCORD_GATEWAY_URL": "wss://gw.example",
        }
    )
    assert (endpoints.api, endpoints.gateway) == (
        "https://staging.example/api/v10",
        "wss://gw.example",
    )
