"""The secret key: a value anyone could guess is refused, a random one is taken."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from hub.config import Config, ConfigError
from hub.keys import ENV_VAR, secret_key, weakness

GUESSABLE = [
    "a" * 32,
    "k" * 48,
    " " * 40,
    "\t \n" * 12,
    "ab" * 20,
    "abcdefghij" * 4,
    "Xq3v9Lr2Tb8Wz1Kp" * 2,  # a random-looking half, twice
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba9876543210",
    "cli-test-" + "k" * 40,
    "mon-mot-de-passe-pour-le-hub-2026-fcpts",
    "Password-Password-2026-du-hub-federation",
    "la-cle-secrete-de-la-federation-cpts-2026",
    "changeme-changeme-changeme-changeme",
    "aaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbb",
    "  " + secrets.token_urlsafe(32),  # pasted with a leading space
    "short-but-random-Xq3v9",
]


@pytest.mark.parametrize("value", GUESSABLE)
def test_a_guessable_key_is_refused_with_what_to_do(
    value: str, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert weakness(value) is not None
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(ConfigError) as refused:
        secret_key(config)
    message = str(refused.value)
    assert message.startswith(f"{ENV_VAR} est refusée : ")
    assert "secrets.token_urlsafe(32)" in message
    assert value.strip() not in message or not value.strip()  # the key itself is never shown
    assert "\n" not in message


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_hex(16),
        lambda: secrets.token_hex(32),
        lambda: "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(32)),
    ],
    ids=["urlsafe-32", "urlsafe-48", "hex-16", "hex-32", "password-manager"],
)
def test_random_keys_are_accepted(
    make: Callable[[], str], config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(2000):  # the rules must not refuse a random key but with negligible odds
        value = make()
        assert weakness(value) is None, value
    monkeypatch.setenv(ENV_VAR, value)
    assert secret_key(config) == value.encode()
